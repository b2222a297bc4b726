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
 * Resizes an integer image with Lanczos-4 (see the top of this file). Works row by row: only the
 * horizontally filtered source rows the current output row needs are kept (a few rows of
 * float64), never a whole float image.
 */
export function resizeLanczos(src: Image, width: number, height: number): Image {
  const { channels } = src;
  const max = maxValue(src.bitDepth);
  const h = lanczosAxis(src.width, width);
  const v = lanczosAxis(src.height, height);
  const data = src.bitDepth === 8 ? new Uint8Array(width * height * channels) : new Uint16Array(width * height * channels);
  const rows = new Map<number, Float64Array>();
  const filteredRow = (y: number): Float64Array => {
    let row = rows.get(y);
    if (row) return row;
    row = new Float64Array(width * channels);
    const base = y * src.width * channels;
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < h.taps; k++) {
        const w = h.weight[x * h.taps + k]!;
        if (w === 0) continue;
        const s = base + h.index[x * h.taps + k]! * channels;
        for (let c = 0; c < channels; c++) row[x * channels + c]! += w * src.data[s + c]!;
      }
    }
    rows.set(y, row);
    return row;
  };
  const acc = new Float64Array(width * channels);
  for (let y = 0; y < height; y++) {
    // Source rows only move forward with y: drop the ones behind this output row's window.
    const lowest = v.index[y * v.taps]!;
    for (const key of rows.keys()) if (key < lowest) rows.delete(key);
    acc.fill(0);
    for (let k = 0; k < v.taps; k++) {
      const w = v.weight[y * v.taps + k]!;
      if (w === 0) continue;
      const row = filteredRow(v.index[y * v.taps + k]!);
      for (let i = 0; i < acc.length; i++) acc[i]! += w * row[i]!;
    }
    const o = y * width * channels;
    for (let i = 0; i < acc.length; i++) data[o + i] = Math.min(max, Math.max(0, roundHalfEven(acc[i]!)));
  }
  return { width, height, channels, bitDepth: src.bitDepth, data };
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
