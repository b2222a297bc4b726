import { WgsrError } from '../errors.js';
import type { Image, SubmittedTile, TileNetwork, TileRunOptions, UpscaleOptions } from './types.js';
import { validateImage, maxValue } from './validate.js';
import { checkNetwork, resolveOptions } from './options.js';
import { paddedAxis } from './pad.js';
import { automaticTileSide } from './tile-size.js';
import { tileGrid, type Tile } from './tiles.js';
import { planPasses, type Pass } from './passes.js';
import { gatherTile, networkInputTable, scatterTile, type OutputMap } from './tensor.js';
import { fillChannel, isOpaque, resizeAlphaLinear } from './alpha.js';
import { resizeLanczos } from './resize.js';

export type { Image, SubmittedTile, TileNetwork, TileRunOptions, UpscaleOptions } from './types.js';

/**
 * Upscales `image` with `net` exactly as Real-ESRGAN's RealESRGANer.enhance does (see the files
 * of src/image for each step): samples / max → RGB network input (gray replicated) → pre-pad and
 * mod-pad → tiles → network → crop → clamp → round(x·max); gray and alpha as Real-ESRGAN; then
 * `outscale` resamples. Where we differ, it is written where it happens: the bit depth is the
 * image's declared one (Real-ESRGAN guesses 16-bit from max > 256), pads larger than the image
 * fold instead of failing, an all-opaque alpha skips the network, and shrinking antialiases.
 */
export async function upscaleImage(net: TileNetwork, image: Image, options: UpscaleOptions = {}): Promise<Image> {
  validateImage(image, 'input image');
  checkNetwork(net);
  const opts = resolveOptions(options);
  if (opts.tta && !net.tta) throw new Error('this TileNetwork cannot run test-time augmentation (TileNetwork.tta is not set)');
  const plan = planPasses(net, image.channels);
  const { width, height, channels, bitDepth } = image;
  const scale = net.scale;
  const target = opts.outscale === null || opts.outscale === scale ? null : outscaleSize(image, opts.outscale);

  const xMap = paddedAxis(width, opts.prePad, net.sizeMultiple);
  const yMap = paddedAxis(height, opts.prePad, net.sizeMultiple);
  const tileSide = opts.tile > 0 ? opts.tile : automaticTileSide(net, { width: xMap.length, height: yMap.length }, image, opts.tilePad);
  // A tile lying wholly in the pre-pad margin would be cropped away entirely: not worth running.
  const tiles = tileGrid(xMap.length, yMap.length, tileSide, opts.tilePad, scale, net.sizeMultiple).filter(
    (t) => t.tile.x0 < width && t.tile.y0 < height,
  );

  // The network output at the network's scale, kept as final integers: each tile's crop is
  // quantised as it arrives. With outscale this is also what Real-ESRGAN resamples (it resizes
  // the rounded uint8/uint16 output), so no float image is ever needed.
  const out: Image = {
    width: width * scale,
    height: height * scale,
    channels,
    bitDepth,
    data: bitDepth === 8 ? new Uint8Array(width * scale * height * scale * channels) : new Uint16Array(width * scale * height * scale * channels),
  };

  const passes: Pass[] = [...plan.color];
  const alphaOpaque = plan.alphaChannel >= 0 && isOpaque(image, plan.alphaChannel);
  if (plan.alpha && !alphaOpaque && opts.alpha === 'network') passes.push(plan.alpha);

  const table = networkInputTable(bitDepth, net.inputRange);
  const toUnit: OutputMap = net.outputToUnit ?? (net.inputRange === 1 ? null : (y: number) => y / net.inputRange);
  const total = passes.length * tiles.length;
  const submit = tileSubmitter(net, options.overlap ?? true, { tta: opts.tta });
  let done = 0;
  // Tile i+1 is gathered and submitted before tile i is collected and scattered, so the CPU
  // work of both overlaps the GPU's; at most two tiles are in flight. A tile still in flight
  // when anything fails (an abort included) is discarded before the error leaves.
  let inFlight: { tile: Tile; pass: Pass; started: SubmittedTile } | undefined;
  const finish = async ({ tile, pass, started }: NonNullable<typeof inFlight>) => {
    const output = await started.collect();
    checkOutput(net, tile, output);
    scatterTile(out, output, tile, scale, pass.sink, toUnit);
    options.onProgress?.(++done, total);
  };
  try {
    for (const pass of passes) {
      for (const tile of tiles) {
        throwIfAborted(options.signal, done, total);
        const input = gatherTile(image, pass.sources, xMap, yMap, tile.padded, table);
        const previous = inFlight;
        inFlight = { tile, pass, started: await submit(input, tile.padded.y1 - tile.padded.y0, tile.padded.x1 - tile.padded.x0) };
        if (previous) await finish(previous);
      }
    }
    const last = inFlight;
    inFlight = undefined;
    if (last) await finish(last);
  } catch (e) {
    await inFlight?.started.discard();
    throw e;
  }

  if (plan.alphaChannel >= 0) {
    if (alphaOpaque) fillChannel(out, plan.alphaChannel, maxValue(bitDepth));
    else if (opts.alpha === 'resize') resizeAlphaLinear(image, plan.alphaChannel, out);
  }
  if (!target) return out;
  throwIfAborted(options.signal, done, total);
  return resizeLanczos(out, target.width, target.height);
}

/**
 * How tiles reach the network: its own `submit` when it has one and overlap is wanted, else
 * `forward`, called only when the tile is collected (nothing runs ahead, and a discarded tile
 * never runs).
 */
function tileSubmitter(
  net: TileNetwork,
  overlap: boolean,
  run: TileRunOptions,
): (tile: Float32Array, height: number, width: number) => Promise<SubmittedTile> {
  const pipelined = overlap && net.submit?.bind(net);
  if (pipelined) return (tile, height, width) => pipelined(tile, height, width, run);
  return async (tile, height, width) => ({ collect: () => net.forward(tile, height, width, run), discard: async () => undefined });
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

function throwIfAborted(signal: AbortSignal | undefined, done: number, total: number): void {
  if (signal?.aborted) {
    throw new WgsrError('ABORTED', `upscaling was aborted after ${done} of ${total} tiles`, { cause: signal.reason });
  }
}

/** A network returning the wrong amount of data is a bug in its wrapper: say which tile and sizes. */
function checkOutput(net: TileNetwork, tile: Tile, output: Float32Array): void {
  const h = (tile.padded.y1 - tile.padded.y0) * net.scale;
  const w = (tile.padded.x1 - tile.padded.x0) * net.scale;
  if (output.length !== net.outChannels * h * w) {
    throw new Error(
      `the network returned ${output.length} values for tile (${tile.row}, ${tile.col}); ` +
        `expected ${net.outChannels}×${h}×${w} = ${net.outChannels * h * w}`,
    );
  }
}
