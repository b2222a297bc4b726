import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { SSIM_WINDOW, psnr, ssim } from './metrics.js';
import { cropBorder } from './plane.js';
import { lumaPlane } from './ycbcr.js';

export interface Score {
  /** dB; Infinity when the images are identical after conversion and crop. */
  psnr: number;
  ssim: number;
}

/**
 * BasicSR's calculate_psnr and calculate_ssim with test_y_channel=True and the given
 * crop_border, on two 8-bit images of the same size. A gray image paired with a colour one is
 * treated as R = G = B so both sides are Y planes; two gray images compare their gray values.
 */
export function scorePair(sr: Image, hr: Image, border: number, names = { sr: 'SR image', hr: 'HR image' }): Score {
  if (sr.width !== hr.width || sr.height !== hr.height) {
    throw new WgsrError('BAD_IMAGE', `${names.sr} is ${sr.width}×${sr.height} but ${names.hr} is ${hr.width}×${hr.height}; they must be the same size`);
  }
  const color = sr.channels >= 3 || hr.channels >= 3;
  const a = cropBorder(lumaPlane(sr, color, names.sr), border, names.sr);
  const b = cropBorder(lumaPlane(hr, color, names.hr), border, names.hr);
  if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) {
    throw new WgsrError('BAD_IMAGE', `${names.hr} is ${hr.width}×${hr.height}: after cropping ${border} pixels per side it is smaller than SSIM's ${SSIM_WINDOW}×${SSIM_WINDOW} window; use larger images`);
  }
  return { psnr: psnr(a, b), ssim: ssim(a, b) };
}

/** The top-left width×height region of an image (mod-crop, or trimming a few extra pixels). */
export function cropImage(image: Image, width: number, height: number): Image {
  if (width > image.width || height > image.height) {
    throw new WgsrError('BAD_ARGUMENT', `cannot crop a ${image.width}×${image.height} image to ${width}×${height}`);
  }
  if (width === image.width && height === image.height) return image;
  const c = image.channels;
  const data = image.bitDepth === 8 ? new Uint8Array(width * height * c) : new Uint16Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = y * image.width * c;
    data.set(image.data.subarray(from, from + width * c), y * width * c);
  }
  return { ...image, width, height, data };
}

/** BasicSR's mod_crop: the largest top-left region whose sides are multiples of `scale`. */
export function modCrop(image: Image, scale: number): Image {
  return cropImage(image, image.width - (image.width % scale), image.height - (image.height % scale));
}

/**
 * Makes an SR/HR pair comparable. Sides may differ by fewer than `scale` pixels (an HR image
 * that was not a multiple of the scale, or an SR output a few pixels too large); the larger
 * image is then cropped to the shared top-left region, as BasicSR's mod-crop does. Larger
 * differences are an error naming both files.
 */
export function matchSizes(sr: Image, hr: Image, scale: number, names: { sr: string; hr: string }): { sr: Image; hr: Image; cropped: boolean } {
  const dw = Math.abs(sr.width - hr.width);
  const dh = Math.abs(sr.height - hr.height);
  if (dw >= Math.max(scale, 1) || dh >= Math.max(scale, 1)) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${names.sr} is ${sr.width}×${sr.height} but ${names.hr} is ${hr.width}×${hr.height}; they may differ by fewer than ${scale} pixels per side (check the pairing and --scale)`,
    );
  }
  const width = Math.min(sr.width, hr.width);
  const height = Math.min(sr.height, hr.height);
  return { sr: cropImage(sr, width, height), hr: cropImage(hr, width, height), cropped: dw > 0 || dh > 0 };
}

/** The colour (or gray) channels alone: alpha plays no part in PSNR/SSIM. */
export function dropAlpha(image: Image): Image {
  if (image.channels === 1 || image.channels === 3) return image;
  const c = image.channels;
  const keep = c - 1;
  const n = image.width * image.height;
  const data = image.bitDepth === 8 ? new Uint8Array(n * keep) : new Uint16Array(n * keep);
  for (let i = 0; i < n; i++) for (let k = 0; k < keep; k++) data[i * keep + k] = image.data[i * c + k]!;
  return { ...image, channels: keep as 1 | 3, data };
}

/** Mean of each metric over a list of scores (Infinity if any PSNR is infinite, as numpy would). */
export function meanScore(scores: readonly Score[]): Score {
  if (!scores.length) throw new WgsrError('BAD_ARGUMENT', 'no scores to average');
  let p = 0;
  let s = 0;
  for (const x of scores) {
    p += x.psnr;
    s += x.ssim;
  }
  return { psnr: p / scores.length, ssim: s / scores.length };
}
