import { WgsrError } from '../../errors.js';
import { planar, type Planar } from '../data/planar.js';
import type { ResizeMode } from './params.js';

/**
 * PyTorch's F.interpolate as Real-ESRGAN calls it (align_corners=False, no antialiasing), one
 * axis at a time; every mode is separable, so an axis is a table of source indices and weights
 * per output sample and a 2-D resize is two 1-D passes.
 *   bilinear  source x = (o + ½)·ratio − ½, clamped at 0; the two neighbours, the right one
 *             clamped to the last sample.
 *   bicubic   the same source x, not clamped; four neighbours (indices clamped to the image),
 *             Keys' cubic with A = −0.75 (PyTorch's, not MATLAB's −0.5).
 *   area      adaptive average pooling: output o averages inputs ⌊o·in/out⌋ … ⌈(o+1)·in/out⌉ − 1.
 * `ratio` is in/out when a size is asked for, and 1/scale_factor when a scale factor is (PyTorch
 * then maps coordinates by the factor, not by the rounded sizes).
 */
export interface AxisTaps {
  readonly inSize: number;
  readonly outSize: number;
  readonly taps: number;
  /** outSize × taps source indices, inside [0, inSize). */
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

/** PyTorch's cubic convolution weights for the four neighbours of a fractional offset t. */
export function cubicWeights(t: number, a = -0.75): [number, number, number, number] {
  const near = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1; // |x| ≤ 1
  const far = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

function table(inSize: number, outSize: number, taps: number, fill: (o: number, index: Int32Array, weight: Float32Array, at: number) => void): AxisTaps {
  const index = new Int32Array(outSize * taps);
  const weight = new Float32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) fill(o, index, weight, o * taps);
  return { inSize, outSize, taps, index, weight };
}

const clampIndex = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);

export function axisTaps(mode: ResizeMode, inSize: number, outSize: number, ratio = inSize / outSize): AxisTaps {
  if (mode === 'area') {
    const taps = Math.ceil(inSize / outSize) + 1;
    return table(inSize, outSize, taps, (o, index, weight, at) => {
      const start = Math.floor((o * inSize) / outSize);
      const end = Math.ceil(((o + 1) * inSize) / outSize);
      for (let t = 0; t < end - start; t++) {
        index[at + t] = start + t;
        weight[at + t] = 1 / (end - start);
      }
    });
  }
  if (mode === 'bilinear') {
    return table(inSize, outSize, 2, (o, index, weight, at) => {
      const x = Math.max((o + 0.5) * ratio - 0.5, 0);
      const i = Math.min(Math.floor(x), inSize - 1);
      const lambda = Math.min(Math.max(x - i, 0), 1);
      index[at] = i;
      index[at + 1] = Math.min(i + 1, inSize - 1);
      weight[at] = 1 - lambda;
      weight[at + 1] = lambda;
    });
  }
  return table(inSize, outSize, 4, (o, index, weight, at) => {
    const x = (o + 0.5) * ratio - 0.5;
    const i = Math.floor(x);
    const w = cubicWeights(x - i);
    for (let t = 0; t < 4; t++) {
      index[at + t] = clampIndex(i - 1 + t, inSize);
      weight[at + t] = w[t]!;
    }
  });
}

/** Output size of F.interpolate(scale_factor=s) on one axis: ⌊size·s⌋. */
export function scaledSize(size: number, scale: number): number {
  return Math.floor(size * scale);
}

export interface ResizeRequest {
  mode: ResizeMode;
  height: number;
  width: number;
  /** Given when Real-ESRGAN passes scale_factor (its first stage): coordinates map by 1/scale. */
  scale?: number;
}

/** Both axes' tables for resizing an image of inH × inW as `req` asks. */
export function resizeTaps(inH: number, inW: number, req: ResizeRequest): { rows: AxisTaps; cols: AxisTaps } {
  if (req.height < 1 || req.width < 1) {
    throw new WgsrError('BAD_ARGUMENT', `a resize of ${inW}×${inH} to ${req.width}×${req.height} leaves no pixels; use larger patches or a narrower resize range`);
  }
  const ratio = (n: number, out: number) => (req.scale !== undefined && req.mode !== 'area' ? 1 / req.scale : n / out);
  return { rows: axisTaps(req.mode, inH, req.height, ratio(inH, req.height)), cols: axisTaps(req.mode, inW, req.width, ratio(inW, req.width)) };
}

/** Resamples every channel: along the width first, then the height. */
export function resizePlanar(image: Planar, req: ResizeRequest): Planar {
  const { channels, height: h, width: w } = image;
  const { rows, cols } = resizeTaps(h, w, req);
  const ow = cols.outSize;
  const oh = rows.outSize;
  const out = planar(channels, oh, ow);
  const mid = new Float32Array(h * ow);
  for (let c = 0; c < channels; c++) {
    const src = image.data.subarray(c * h * w, (c + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = 0;
        for (let t = 0; t < cols.taps; t++) sum += cols.weight[x * cols.taps + t]! * src[y * w + cols.index[x * cols.taps + t]!]!;
        mid[y * ow + x] = sum;
      }
    }
    const dst = c * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let t = 0; t < rows.taps; t++) {
        const k = rows.weight[y * rows.taps + t]!;
        if (k === 0) continue;
        const from = rows.index[y * rows.taps + t]! * ow;
        for (let x = 0; x < ow; x++) out.data[dst + y * ow + x] = out.data[dst + y * ow + x]! + k * mid[from + x]!;
      }
    }
  }
  return out;
}
