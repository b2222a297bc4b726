import { WgsrError } from '../errors.js';
import type { Plane } from './plane.js';

/*
 * PSNR and SSIM as BasicSR's calculate_psnr / calculate_ssim compute them on float64 planes
 * already converted (Y) and cropped. SSIM filters separably (the window is an outer product);
 * BasicSR uses cv2.filter2D with the full 11×11 window and keeps the border-free outputs. The
 * two agree to rounding (~1e-15), which the tests check against a direct windowed sum.
 */

const PEAK = 255;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
/** cv2.getGaussianKernel(11, 1.5). */
export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;

function checkSameSize(a: Plane, b: Plane): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new WgsrError('BAD_IMAGE', `the images differ in size (${a.width}×${a.height} vs ${b.width}×${b.height}); PSNR/SSIM need equal sizes`);
  }
}

/** 10·log10(255²/MSE); Infinity when the planes are identical. */
export function psnr(a: Plane, b: Plane): number {
  checkSameSize(a, b);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    sum += d * d;
  }
  const mse = sum / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((PEAK * PEAK) / mse);
}

/** The normalised 1-D Gaussian OpenCV's getGaussianKernel(size, sigma) returns (float64). */
export function gaussianKernel(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  const k = new Float64Array(size);
  const scale2 = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - (size - 1) * 0.5;
    k[i] = Math.exp(scale2 * x * x);
    sum += k[i]!;
  }
  for (let i = 0; i < size; i++) k[i]! /= sum;
  return k;
}

/** Valid (border-free) 2-D filtering by outer(k, k): rows first, then columns. */
function filterValid(src: Float64Array, width: number, height: number, k: Float64Array): Float64Array {
  const n = k.length;
  const ow = width - n + 1;
  const oh = height - n + 1;
  const rows = new Float64Array(oh * width);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += k[i]! * src[(y + i) * width + x]!;
      rows[y * width + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[j]! * rows[y * width + x + j]!;
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** Mean SSIM over the valid region (11×11 Gaussian window, σ 1.5, C1 = (0.01·255)², C2 = (0.03·255)²). */
export function ssim(a: Plane, b: Plane): number {
  checkSameSize(a, b);
  const { width, height } = a;
  if (width < SSIM_WINDOW || height < SSIM_WINDOW) {
    throw new WgsrError('BAD_IMAGE', `${width}×${height} (after the border crop) is smaller than SSIM's ${SSIM_WINDOW}×${SSIM_WINDOW} window; use larger images`);
  }
  const k = gaussianKernel();
  const n = a.data.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const mu1 = filterValid(a.data, width, height, k);
  const mu2 = filterValid(b.data, width, height, k);
  const s11 = filterValid(aa, width, height, k);
  const s22 = filterValid(bb, width, height, k);
  const s12 = filterValid(ab, width, height, k);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i]!;
    const m2 = mu2[i]!;
    const m1sq = m1 * m1;
    const m2sq = m2 * m2;
    const m12 = m1 * m2;
    const sigma1 = s11[i]! - m1sq;
    const sigma2 = s22[i]! - m2sq;
    const sigma12 = s12[i]! - m12;
    sum += ((2 * m12 + C1) * (2 * sigma12 + C2)) / ((m1sq + m2sq + C1) * (sigma1 + sigma2 + C2));
  }
  return sum / mu1.length;
}
