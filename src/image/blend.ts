import type { Sink } from './passes.js';
import { clampUnit, grayFromRgb, unitToSample } from './quantize.js';
import type { OutputMap, OutputRows } from './tensor.js';
import type { AxisSpan, Tile } from './tiles.js';
import { maxValue } from './validate.js';

/**
 * Seam-free tiles: instead of cutting each tile's output at the tile's edge (Real-ESRGAN's
 * crop), neighbouring tiles are cross-faded over a band of `width` input pixels centred on
 * their common edge. The band lies inside the tile pad both tiles were run with (width ≤
 * 2·tilePad), so the tiles, their sizes and the work are exactly those of cropping; only how
 * their outputs are combined changes.
 *
 * Along an axis, with tile i starting at B_i, let U_i(u) = r((u − B_i + width/2) / width),
 * a raised cosine r(t) = sin²(π/2 · clamp(t, 0, 1)) rising from 0 to 1 across the band (U_0 = 1
 * and U_n = 0 at the image's ends). Tile i's weight is w_i = U_i − U_{i+1}: never negative, zero
 * outside its padded region, and Σ w_i = U_0 − U_n = 1 exactly (it telescopes), whatever the
 * band. In 2-D the weight is the product of the two axes' weights, which sums to one too.
 * Width 0 is the crop: every weight is 0 or 1.
 */

/** Raised cosine from 0 (t ≤ 0) to 1 (t ≥ 1). */
const rise = (t: number) => (t <= 0 ? 0 : t >= 1 ? 1 : Math.sin((Math.PI / 2) * t) ** 2);

/**
 * Tile i's weights along one axis, one per output sample of its padded span (sample k sits at
 * input coordinate paddedStart + (k + 0.5)/scale). `spans` are the axis's kept spans, in order.
 */
export function axisWeights(spans: readonly AxisSpan[], i: number, width: number, scale: number): Float32Array {
  const span = spans[i]!;
  const U = (j: number, u: number) => {
    if (j === 0) return 1;
    if (j === spans.length) return 0;
    const edge = spans[j]!.start;
    return width > 0 ? rise((u - edge + width / 2) / width) : u >= edge ? 1 : 0;
  };
  const n = (span.paddedEnd - span.paddedStart) * scale;
  const w = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = span.paddedStart + (k + 0.5) / scale;
    w[k] = U(i, u) - U(i + 1, u);
  }
  return w;
}

/**
 * Sums weighted tile outputs for one pass in float rows, and quantises each output row into
 * the image once no later tile can add to it (rows are dropped then: only a band of rows
 * about one tile high is ever held as floats).
 */
export class BlendWriter {
  /** Output row → its float values, channel-major ([c][x]). */
  private readonly rows = new Map<number, Float32Array>();
  private readonly max: number;

  constructor(
    private readonly out: OutputRows,
    private readonly channels: number,
    private readonly scale: number,
    private readonly sink: Sink,
    private readonly toUnit: OutputMap,
    private readonly columns: readonly AxisSpan[],
    private readonly rowSpans: readonly AxisSpan[],
    private readonly width: number,
  ) {
    this.max = maxValue(out.bitDepth);
  }

  /** Adds tile `tile`'s network output (for its padded region) with its weights. */
  add(output: Float32Array, tile: Tile): void {
    const { scale, out, channels } = this;
    const wx = axisWeights(this.columns, tile.col, this.width, scale);
    const wy = axisWeights(this.rowSpans, tile.row, this.width, scale);
    const tileW = wx.length;
    const plane = tileW * wy.length;
    const X0 = tile.padded.x0 * scale;
    const Y0 = tile.padded.y0 * scale;
    // Only samples with weight inside the image matter; the rest is pre-pad or mod-pad margin.
    let first = 0;
    while (first < tileW && wx[first] === 0) first++;
    const last = Math.min(tileW, out.width - X0);
    const toUnit = this.toUnit;
    for (let y = 0; y < wy.length; y++) {
      const Y = Y0 + y;
      if (wy[y] === 0 || Y >= out.height) continue;
      const row = this.row(Y);
      for (let c = 0; c < channels; c++) {
        const src = c * plane + y * tileW;
        const dst = c * out.width + X0;
        for (let x = first; x < last; x++) {
          const w = wx[x]! * wy[y]!;
          if (w === 0) continue;
          const v = toUnit ? Math.fround(toUnit(output[src + x]!)) : output[src + x]!;
          row[dst + x]! += w * v;
        }
      }
    }
  }

  /** add(), then quantises the rows the tile's row of tiles finished (tiles come in row-major order). */
  put(output: Float32Array, tile: Tile): void {
    this.add(output, tile);
    if (tile.col === this.columns.length - 1) this.flushBefore(this.finalBelow(tile.row));
  }

  /** Quantises and drops every held row above output row `end` (all of them with Infinity). */
  flushBefore(end: number): void {
    for (const [Y, row] of this.rows) {
      if (Y >= end) continue;
      this.write(Y, row);
      this.rows.delete(Y);
    }
  }

  /** The output row below which tile row `r + 1` and later add nothing. */
  finalBelow(r: number): number {
    const next = this.rowSpans[r + 1];
    if (!next) return Infinity;
    return Math.floor((next.start - this.width / 2) * this.scale);
  }

  private row(Y: number): Float32Array {
    let row = this.rows.get(Y);
    if (!row) this.rows.set(Y, (row = new Float32Array(this.channels * this.out.width)));
    return row;
  }

  /** clamp → round(x·max), or the gray of the clamped RGB, as scatterTile does for a crop. */
  private write(Y: number, row: Float32Array): void {
    const { out, sink, max } = this;
    const { channels, data, width } = out;
    const dst = (Y - out.origin) * width * channels;
    if (sink.kind === 'gray') {
      for (let X = 0; X < width; X++) {
        const gray = grayFromRgb(clampUnit(Math.fround(row[X]!)), clampUnit(Math.fround(row[width + X]!)), clampUnit(Math.fround(row[2 * width + X]!)));
        data[dst + X * channels + sink.channel] = unitToSample(gray, max);
      }
      return;
    }
    sink.channels.forEach((channel, k) => {
      for (let X = 0; X < width; X++) data[dst + X * channels + channel] = unitToSample(clampUnit(Math.fround(row[k * width + X]!)), max);
    });
  }
}
