import { WgsrError } from '../errors.js';
import { fillChannel, isOpaque, resizeAlphaLinear } from './alpha.js';
import { BlendWriter } from './blend.js';
import { checkNetwork, resolveOptions, type ResolvedOptions } from './options.js';
import { paddedAxis } from './pad.js';
import { planPasses, type Pass } from './passes.js';
import { LanczosRows, resizeLanczos } from './resize.js';
import { gatherTile, networkInputTable, scatterTile, type OutputMap, type OutputRows } from './tensor.js';
import { automaticTileSide } from './tile-size.js';
import { axisSpans, tileGrid, type Tile } from './tiles.js';
import type { Image, RowSink, TileNetwork, UpscaleOptions } from './types.js';
import { maxValue, validateImage } from './validate.js';

/** One network run of an image: a tile of one pass, and where its output goes. */
export interface TileWork {
  readonly tile: Tile;
  readonly pass: Pass;
  readonly sink: TileSink;
  /** When this is the last work of its row of tiles: the output row below which every row is then final. */
  readonly bandEnd?: number;
}

/** Where a collected tile's output goes. */
export interface TileSink {
  put(output: Float32Array, tile: Tile): void;
}

/**
 * Everything about upscaling one image except running the network, as Real-ESRGAN's
 * RealESRGANer.enhance does it (see the files of src/image for each step): samples / max → RGB
 * network input (gray replicated) → pre-pad and mod-pad → tiles → network → crop (or blend) →
 * clamp → round(x·max); gray and alpha as Real-ESRGAN; then `outscale` resamples.
 *
 * The output is kept at the network's scale as final integers: each tile's part is quantised
 * as it arrives (blended tiles: each row once no later tile adds to it). With outscale this is
 * also what Real-ESRGAN resamples (it resizes the rounded uint8/uint16 output).
 *
 * Works go row of tiles by row of tiles (every pass of a row before the next row), so that once
 * a row of tiles is done the output rows above its lower edge are final. With `options.rows`
 * the output is streamed: only those rows are held (a band about one tile high), finished
 * (alpha, outscale) and handed to the sink, and the band is then reused for the next row.
 */
export class ImageJob {
  readonly opts: ResolvedOptions;
  /** The network runs, in order (pass by pass, tiles row-major within a pass). */
  readonly works: TileWork[] = [];
  private readonly out: OutputRows;
  private readonly stream: { sink: RowSink; resize: LanczosRows | null } | null;
  private readonly xMap: Int32Array;
  private readonly yMap: Int32Array;
  private readonly table: Float32Array;
  private readonly alphaChannel: number;
  private readonly alphaOpaque: boolean;
  private readonly target: { width: number; height: number } | null;

  constructor(
    private readonly net: TileNetwork,
    private readonly image: Image,
    options: UpscaleOptions,
  ) {
    validateImage(image, 'input image');
    checkNetwork(net);
    const opts = (this.opts = resolveOptions(options));
    if (opts.tta && !net.tta) throw new Error('this TileNetwork cannot run test-time augmentation (TileNetwork.tta is not set)');
    const plan = planPasses(net, image.channels);
    const { width, height, channels, bitDepth } = image;
    const scale = net.scale;
    this.target = opts.outscale === null || opts.outscale === scale ? null : outscaleSize(image, opts.outscale);
    checkOutputSize(image, scale, this.target);
    checkPrePad(image, opts.prePad);
    this.xMap = paddedAxis(width, opts.prePad, net.sizeMultiple);
    this.yMap = paddedAxis(height, opts.prePad, net.sizeMultiple);
    const padded = { width: this.xMap.length, height: this.yMap.length };
    const tileSide = opts.tile > 0 ? opts.tile : automaticTileSide(net, padded, image, opts.tilePad);
    // A tile lying wholly in the pre-pad margin would be cropped away entirely: not worth running.
    const tiles = tileGrid(padded.width, padded.height, tileSide, opts.tilePad, scale, net.sizeMultiple, { width, height });
    const kept = (length: number, within: number) => axisSpans(length, tileSide, opts.tilePad, net.sizeMultiple).filter((s) => s.start < within);
    this.table = networkInputTable(bitDepth, net.inputRange);
    const toUnit: OutputMap = net.outputToUnit ?? (net.inputRange === 1 ? null : (y: number) => y / net.inputRange);

    const passes: Pass[] = [...plan.color];
    this.alphaChannel = plan.alphaChannel;
    this.alphaOpaque = plan.alphaChannel >= 0 && isOpaque(image, plan.alphaChannel);
    if (plan.alpha && !this.alphaOpaque && opts.alpha === 'network') passes.push(plan.alpha);
    const outHeight = height * scale;
    // The output, whole or a band of rows (its data is allocated below, once its height is known).
    const out: OutputRows = (this.out = { width: width * scale, height: outHeight, channels, bitDepth, data: new Uint8Array(0), origin: 0 });
    const blend = tiles.length > 1 && opts.tileBlend > 0;
    const rowSpans = kept(padded.height, height);
    const sinks = passes.map(
      (pass): TileSink =>
        // Crop each tile (Real-ESRGAN), or cross-fade neighbours over the blend band (blend.ts).
        blend
          ? new BlendWriter(out, net.outChannels, scale, pass.sink, toUnit, kept(padded.width, width), rowSpans, opts.tileBlend)
          : { put: (output, tile) => scatterTile(out, output, tile, scale, pass.sink, toUnit) },
    );
    // Rows of tiles, each with its passes in turn; a row's last work marks the rows it finished.
    const tileRows: Tile[][] = [];
    for (const tile of tiles) (tileRows[tile.row] ??= []).push(tile);
    let band = 0;
    let previousEnd = 0;
    tileRows.forEach((row, r) => {
      // A crop finishes the rows down to the tiles' lower edge; a blend those no later row adds to.
      const end = Math.min(outHeight, blend ? (sinks[0] as BlendWriter).finalBelow(r) : row[0]!.output.y1);
      passes.forEach((pass, p) => {
        row.forEach((tile, i) => this.works.push({ tile, pass, sink: sinks[p]!, bandEnd: p === passes.length - 1 && i === row.length - 1 ? end : undefined }));
      });
      band = Math.max(band, end - previousEnd);
      previousEnd = end;
    });
    this.stream = options.rows ? { sink: options.rows, resize: this.target ? new LanczosRows(out, this.target.width, this.target.height) : null } : null;
    const rows = this.stream ? band : outHeight;
    const size = width * scale * rows * channels;
    out.data = bitDepth === 8 ? new Uint8Array(size) : new Uint16Array(size);
  }

  /** Tells a streamed output's sink the size (again, when an image starts over). */
  async begin(): Promise<void> {
    if (!this.stream) return;
    const { width, height, channels, bitDepth } = this.target ? { ...this.out, ...this.target } : this.out;
    await this.stream.sink.begin({ width, height, channels, bitDepth });
  }

  /** The network input of work `w`. */
  gather(w: TileWork): Float32Array {
    return gatherTile(this.image, w.pass.sources, this.xMap, this.yMap, w.tile.padded, this.table);
  }

  /** Takes work `w`'s network output (checked for size); streaming, hands on the rows it finished. */
  async put(w: TileWork, output: Float32Array): Promise<void> {
    const { tile } = w;
    const h = (tile.padded.y1 - tile.padded.y0) * this.net.scale;
    const wd = (tile.padded.x1 - tile.padded.x0) * this.net.scale;
    // A network returning the wrong amount of data is a bug in its wrapper: say which tile and sizes.
    if (output.length !== this.net.outChannels * h * wd) {
      throw new Error(`the network returned ${output.length} values for tile (${tile.row}, ${tile.col}); expected ${this.net.outChannels}×${h}×${wd} = ${this.net.outChannels * h * wd}`);
    }
    w.sink.put(output, tile);
    if (this.stream && w.bandEnd !== undefined) await this.emitRows(w.bandEnd);
  }

  /** Streaming: finishes output rows [origin, end) (alpha, outscale), hands them on, reuses the band. */
  private async emitRows(end: number): Promise<void> {
    const { out } = this;
    const { sink, resize } = this.stream!;
    const y0 = out.origin;
    if (end <= y0) return;
    const stride = out.width * out.channels;
    const band = { width: out.width, height: end - y0, channels: out.channels, bitDepth: out.bitDepth, data: out.data.subarray(0, (end - y0) * stride) } as Image;
    this.finishAlpha(band, y0, end);
    if (resize) {
      const done = resize.push(band, y0);
      if (done.image.height > 0) await sink.rows(done.image, done.y0);
    } else {
      await sink.rows(band, y0);
    }
    out.origin = end;
  }

  /** The alpha channel of output rows [y0, y1), held in `rows`: opaque, or resized from the input's, as asked. */
  private finishAlpha(rows: Image, y0: number, y1: number): void {
    const { alphaChannel, image } = this;
    if (alphaChannel < 0) return;
    if (this.alphaOpaque) fillChannel(rows, alphaChannel, maxValue(image.bitDepth));
    else if (this.opts.alpha === 'resize') resizeAlphaLinear(image, alphaChannel, this.out, y0, y1);
  }

  /** The image, once every work was put: alpha as asked, then outscale (streaming: its size, without samples). */
  finish(): Image {
    const { out } = this;
    if (this.stream) {
      if (out.origin !== out.height) throw new Error(`streamed output ended at row ${out.origin} of ${out.height}`);
      const { width, height } = this.target ?? out;
      return { width, height, channels: out.channels, bitDepth: out.bitDepth, data: out.bitDepth === 8 ? new Uint8Array(0) : new Uint16Array(0) } as Image;
    }
    const whole: Image = { width: out.width, height: out.height, channels: out.channels, bitDepth: out.bitDepth, data: out.data } as Image;
    this.finishAlpha(whole, 0, out.height);
    return this.target ? resizeLanczos(whole, this.target.width, this.target.height) : whole;
  }
}

/** Real-ESRGAN: `(int(w_input * outscale), int(h_input * outscale))`, truncating like Python's int(). */
function outscaleSize(image: Image, outscale: number): { width: number; height: number } {
  const width = Math.trunc(image.width * outscale);
  const height = Math.trunc(image.height * outscale);
  if (width < 1 || height < 1) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `outscale ${outscale} turns the ${image.width}×${image.height} image into ${width}×${height} pixels: use a larger outscale`,
    );
  }
  return { width, height };
}

/**
 * The output is held in memory as one typed array (and resampled into a second one with
 * outscale): refuse, before any work, an image whose output cannot be held.
 */
export const MAX_OUTPUT_SAMPLES = 2 ** 31;

function checkOutputSize(image: Image, scale: number, target: { width: number; height: number } | null): void {
  for (const [what, w, h] of [[`the ×${scale} output`, image.width * scale, image.height * scale], ...(target ? [['the outscale output', target.width, target.height] as const] : [])] as const) {
    const samples = w * h * image.channels;
    if (samples > MAX_OUTPUT_SAMPLES) {
      throw new WgsrError(
        'BAD_IMAGE',
        `${what} of this ${image.width}×${image.height} image would be ${w}×${h} (${(samples / 1e9).toFixed(2)} G samples); wgsr holds outputs of up to ` +
          `${MAX_OUTPUT_SAMPLES / 2 ** 30} Gi samples in memory: use a smaller input (crop or split it), or a smaller --outscale`,
      );
    }
  }
}

/**
 * Real-ESRGAN reflect-pads with torch, which refuses a pad as long as the side; wgsr folds the
 * reflection (numpy's way), but beyond twice the longest side a pad only repeats the image.
 */
function checkPrePad(image: Image, prePad: number): void {
  const limit = 2 * Math.max(image.width, image.height);
  if (prePad > limit) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `pre-pad ${prePad} is more than twice the longest side of this ${image.width}×${image.height} image (${limit}); a longer reflection only repeats the image (Real-ESRGAN's default is 0, 10 is common)`,
    );
  }
}
