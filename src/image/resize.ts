import type { Image } from './types.js';
import { roundHalfEven } from './quantize.js';
import { maxValue } from './validate.js';

/**
 * Resampling, written to follow OpenCV's cv2.resize, which Real-ESRGAN uses:
 * - Lanczos with a = 4 (INTER_LANCZOS4: 8 taps) for `outscale`, on the integer output image.
 *   Pixel centres map as src = (dst + 0.5)·(srcSize/dstSize) − 0.5, weights are normalised to
 *   sum 1, samples beyond the border repeat the edge, results are rounded half-to-even and
 *   clamped. When enlarging this is cv2's filter (we accumulate in float64 where cv2 8-bit uses
 *   11-bit fixed-point weights, so a sample can differ by 1). When shrinking we deliberately
 *   differ: cv2 keeps the 8-tap kernel and aliases; we stretch the kernel by the shrink factor
 *   (Pillow-style antialiasing), so fine detail is filtered instead of folded into moiré.
 * - Bilinear (INTER_LINEAR) weights for the alpha plane, in float32 as cv2 computes them.
 */

const LANCZOS_A = 4;

/** sinc(t)·sinc(t/4) for |t| < 4, else 0. */
export function lanczos4(t: number): number {
  if (t === 0) return 1;
  if (t <= -LANCZOS_A || t >= LANCZOS_A) return 0;
  const p = Math.PI * t;
  return (LANCZOS_A * Math.sin(p) * Math.sin(p / LANCZOS_A)) / (p * p);
}

/** For each destination index, `taps` source indices (edge-clamped) and their weights. */
export interface AxisWeights {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

/** cv2's source coordinate for a destination pixel centre: (d + 0.5)·scale − 0.5 in float32. */
function sourceCoordinate(d: number, srcSize: number, dstSize: number): number {
  const scale = 1 / (dstSize / srcSize); // cv2: scale_x = 1. / inv_scale_x
  return Math.fround((d + 0.5) * scale - 0.5);
}

/** Lanczos-4 weights for resampling an axis of `srcSize` samples to `dstSize`. */
export function lanczosAxis(srcSize: number, dstSize: number): AxisWeights {
  // Shrinking widens the kernel by srcSize/dstSize so that it low-passes at the new Nyquist rate.
  const stretch = Math.max(1, srcSize / dstSize);
  const radius = LANCZOS_A * stretch;
  // The integers j with c − radius < j ≤ c + radius: 8 when enlarging, as in cv2.
  const taps = Math.ceil(2 * radius);
  const index = new Int32Array(dstSize * taps);
  const weight = new Float64Array(dstSize * taps);
  for (let d = 0; d < dstSize; d++) {
    const c = sourceCoordinate(d, srcSize, dstSize);
    const first = Math.floor(c - radius) + 1;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const j = first + k;
      const w = lanczos4((c - j) / stretch);
      index[d * taps + k] = Math.min(Math.max(j, 0), srcSize - 1);
      weight[d * taps + k] = w;
      sum += w;
    }
    for (let k = 0; k < taps; k++) weight[d * taps + k]! /= sum;
  }
  return { taps, index, weight };
}

/**
 * Resizes an integer image with Lanczos-4 (see the top of this file): LanczosRows fed the whole
 * image at once.
 */
export function resizeLanczos(src: Image, width: number, height: number): Image {
  return new LanczosRows(src, width, height).push(src, 0).image;
}

/**
 * Lanczos-4 resampling fed source rows in order, a band at a time (a streamed output, see
 * rows.ts): each output row is made as soon as the last source row its taps reach has come,
 * and only the horizontally filtered source rows some later output row still needs are held
 * (a few rows of float64 when enlarging), never a whole image.
 */
export class LanczosRows {
  private readonly h: AxisWeights;
  private readonly v: AxisWeights;
  private readonly max: number;
  private readonly channels: number;
  private readonly bitDepth: 8 | 16;
  private readonly srcWidth: number;
  /** Source row → its horizontally filtered values. */
  private readonly filtered = new Map<number, Float64Array>();
  private readonly acc: Float64Array;
  /** The next output row to make. */
  private next = 0;

  constructor(
    source: { width: number; height: number; channels: Image['channels']; bitDepth: 8 | 16 },
    readonly width: number,
    readonly height: number,
  ) {
    this.channels = source.channels;
    this.bitDepth = source.bitDepth;
    this.srcWidth = source.width;
    this.max = maxValue(source.bitDepth);
    this.h = lanczosAxis(source.width, width);
    this.v = lanczosAxis(source.height, height);
    this.acc = new Float64Array(width * source.channels);
  }

  /**
   * Takes source rows [y0, y0 + band.height) (the next ones) and returns the output rows they
   * complete: `image` holds rows [y0, y0 + image.height) of the output (often none or a few).
   */
  push(band: Image, y0: number): { y0: number; image: Image } {
    const { v, channels, width } = this;
    const last = y0 + band.height - 1;
    const ready = (d: number) => d < this.height && v.index[d * v.taps + v.taps - 1]! <= last;
    let count = 0;
    while (ready(this.next + count)) count++;
    const first = this.next;
    const data = this.bitDepth === 8 ? new Uint8Array(count * width * channels) : new Uint16Array(count * width * channels);
    for (let y = y0; y <= last; y++) {
      // A row no output row from `next` on reaches (shrinking skips some) is not kept.
      if (this.next < this.height && y >= v.index[this.next * v.taps]!) this.filtered.set(y, this.filterRow(band, y - y0));
      while (this.next < this.height && v.index[this.next * v.taps + v.taps - 1]! <= y) {
        this.outputRow(data, (this.next - first) * width * channels);
        this.next++;
        // Source rows only move forward with the output row: drop the ones behind its window.
        if (this.next < this.height) {
          const lowest = v.index[this.next * v.taps]!;
          for (const key of this.filtered.keys()) if (key < lowest) this.filtered.delete(key);
        }
      }
    }
    return { y0: first, image: { width, height: count, channels, bitDepth: this.bitDepth, data } as Image };
  }

  private filterRow(band: Image, y: number): Float64Array {
    const { h, channels, width } = this;
    const row = new Float64Array(width * channels);
    const base = y * this.srcWidth * channels;
    const data = band.data;
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < h.taps; k++) {
        const w = h.weight[x * h.taps + k]!;
        if (w === 0) continue;
        const s = base + h.index[x * h.taps + k]! * channels;
        for (let c = 0; c < channels; c++) row[x * channels + c]! += w * data[s + c]!;
      }
    }
    return row;
  }

  private outputRow(data: Uint8Array | Uint16Array, o: number): void {
    const { v, acc, max } = this;
    const y = this.next;
    acc.fill(0);
    for (let k = 0; k < v.taps; k++) {
      const w = v.weight[y * v.taps + k]!;
      if (w === 0) continue;
      const row = this.filtered.get(v.index[y * v.taps + k]!)!;
      for (let i = 0; i < acc.length; i++) acc[i]! += w * row[i]!;
    }
    for (let i = 0; i < acc.length; i++) data[o + i] = Math.min(max, Math.max(0, roundHalfEven(acc[i]!)));
  }
}

/** INTER_LINEAR along one axis: for each destination index, two source indices and float32 weights. */
export interface LinearAxis {
  index0: Int32Array;
  index1: Int32Array;
  weight0: Float32Array;
  weight1: Float32Array;
}

/**
 * cv2's bilinear weights. Horizontally cv2 pins a coordinate outside the image to the edge
 * sample (weight 1); vertically it keeps the fraction and clamps the row indices instead. Both
 * repeat the edge; we mirror each so the float32 rounding matches too.
 */
export function linearAxis(srcSize: number, dstSize: number, horizontal: boolean): LinearAxis {
  const axis: LinearAxis = {
    index0: new Int32Array(dstSize),
    index1: new Int32Array(dstSize),
    weight0: new Float32Array(dstSize),
    weight1: new Float32Array(dstSize),
  };
  const clampIndex = (i: number) => Math.min(Math.max(i, 0), srcSize - 1);
  for (let d = 0; d < dstSize; d++) {
    const c = sourceCoordinate(d, srcSize, dstSize);
    let s = Math.floor(c);
    let f = Math.fround(c - s);
    if (horizontal && s < 0) (s = 0), (f = 0);
    if (horizontal && s >= srcSize - 1) (s = srcSize - 1), (f = 0);
    axis.index0[d] = clampIndex(s);
    axis.index1[d] = clampIndex(s + 1);
    axis.weight0[d] = Math.fround(1 - f);
    axis.weight1[d] = f;
  }
  return axis;
}
