import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';

/*
 * MATLAB's imresize(img, scale, 'bicubic'), as BasicSR's matlab_functions.imresize and EDSR's
 * DIV2K preparation reproduce it — the resize that made DIV2K's LR_bicubic images, so PSNR
 * tables computed on its output compare with published ones.
 *   - Keys cubic kernel, a = −0.5.
 *   - Shrinking (scale < 1) antialiases: the kernel is stretched by 1/scale (weights
 *     scale·cubic(scale·d)), so every output pixel averages 4/scale input pixels per axis.
 *   - Output pixel x (1-based) samples input position u = x/scale + 0.5·(1 − 1/scale).
 *   - Weights are normalised to sum to 1 per output pixel.
 *   - Borders are 'symmetric': the edge sample is repeated (… 2 1 | 1 2 … n | n n−1 …).
 *   - Rows (height) are resized first, then columns, in float64, as BasicSR does; uint8 images
 *     are rounded to uint8 at the end (MATLAB's uint8(): half away from zero, saturating).
 * Output size is ceil(size·scale) per axis, MATLAB's rule.
 */

/** Keys cubic convolution kernel with a = −0.5 (MATLAB's `cubic`). */
export function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/** For each output sample: `taps` source indices (0-based, already mirrored) and their weights. */
export interface ResizeAxis {
  outSize: number;
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

/** MATLAB 'symmetric' padding of a 0-based index into [0, size). */
function mirror(i: number, size: number): number {
  const m = ((i % (2 * size)) + 2 * size) % (2 * size);
  return m < size ? m : 2 * size - 1 - m;
}

/** BasicSR's calculate_weights_indices for one axis (bicubic, antialiased when shrinking). */
export function resizeAxis(inSize: number, outSize: number, scale: number): ResizeAxis {
  const antialias = scale < 1;
  const kernelWidth = antialias ? 4 / scale : 4;
  const taps = Math.ceil(kernelWidth) + 2;
  const index = new Int32Array(outSize * taps);
  const weight = new Float64Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const u = (o + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const d = u - (left + t);
      const w = antialias ? scale * cubic(d * scale) : cubic(d);
      weight[o * taps + t] = w;
      index[o * taps + t] = mirror(left + t - 1, inSize);
      sum += w;
    }
    for (let t = 0; t < taps; t++) weight[o * taps + t]! /= sum;
  }
  return { outSize, taps, index, weight };
}

/** A float64 image, HWC interleaved, not rounded: imresize's working form. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float64Array;
}

/** MATLAB's output size for one axis: ceil(size·scale). */
export function resizedSize(size: number, scale: number): number {
  return Math.ceil(size * scale);
}

/** imresize on a float image: no rounding, no clipping (bicubic overshoots are kept). */
export function imresizeFloat(src: FloatImage, scale: number): FloatImage {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new WgsrError('BAD_ARGUMENT', `imresize scale must be a positive number, got ${scale}`);
  const { width, height, channels } = src;
  const outW = resizedSize(width, scale);
  const outH = resizedSize(height, scale);
  if (outW < 1 || outH < 1) throw new WgsrError('BAD_ARGUMENT', `imresize: ${width}×${height} at scale ${scale} leaves no pixels`);
  const rowStride = width * channels;
  // Height first: every column is resampled into `mid` (outH × width).
  const ay = resizeAxis(height, outH, scale);
  const mid = new Float64Array(outH * rowStride);
  for (let o = 0; o < outH; o++) {
    const dst = o * rowStride;
    for (let t = 0; t < ay.taps; t++) {
      const w = ay.weight[o * ay.taps + t]!;
      const from = ay.index[o * ay.taps + t]! * rowStride;
      for (let i = 0; i < rowStride; i++) mid[dst + i]! += w * src.data[from + i]!;
    }
  }
  const ax = resizeAxis(width, outW, scale);
  const out = new Float64Array(outH * outW * channels);
  for (let y = 0; y < outH; y++) {
    for (let o = 0; o < outW; o++) {
      const dst = (y * outW + o) * channels;
      for (let t = 0; t < ax.taps; t++) {
        const w = ax.weight[o * ax.taps + t]!;
        const from = y * rowStride + ax.index[o * ax.taps + t]! * channels;
        for (let c = 0; c < channels; c++) out[dst + c]! += w * mid[from + c]!;
      }
    }
  }
  return { width: outW, height: outH, channels, data: out };
}

/** MATLAB's uint8(x): round half away from zero, saturate to 0..255. */
export function toUint8(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x); // Math.round is half-up, which is half-away for x > 0
}

/** imresize(img, scale, 'bicubic') on an 8-bit image; the result is rounded to 8 bits, as MATLAB does for uint8 input. */
export function imresize(image: Image, scale: number): Image {
  if (image.bitDepth !== 8) throw new WgsrError('BAD_IMAGE', `imresize works on 8-bit images (MATLAB's uint8 rounding); got a ${image.bitDepth}-bit image`);
  const { width, height, channels } = image;
  const r = imresizeFloat({ width, height, channels, data: Float64Array.from(image.data) }, scale);
  const data = new Uint8Array(r.data.length);
  for (let i = 0; i < data.length; i++) data[i] = toUint8(r.data[i]!);
  return { width: r.width, height: r.height, channels, bitDepth: 8, data };
}
