import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import type { Plane } from './plane.js';

/*
 * BasicSR's to_y_channel, step by step, so that our Y planes are the numbers BasicSR compares:
 *   img = img.astype(np.float32) / 255.                 -> each sample rounded to float32
 *   y = np.dot(img, [24.966, 128.553, 65.481]) + 16.0   -> float64 (the list is float64), B,G,R order
 *   y = (y / 255.).astype(np.float32)                   -> _convert_output_type_range back to float32
 *   return y * 255.                                     -> float32 product, used as float64 after
 * The float32 steps move Y by up to ~1e-5, which shows in PSNR's fifth decimal; skipping them
 * would not be BasicSR's number.
 */
const Y_R = 65.481;
const Y_G = 128.553;
const Y_B = 24.966;

/** Y (16..235 scale, not rounded) of one 8-bit RGB sample, exactly as BasicSR computes it. */
export function basicsrY(r: number, g: number, b: number): number {
  const fr = Math.fround(r / 255);
  const fg = Math.fround(g / 255);
  const fb = Math.fround(b / 255);
  const y = fb * Y_B + fg * Y_G + fr * Y_R + 16;
  return Math.fround(Math.fround(y / 255) * 255);
}

/**
 * The plane the metrics compare. RGB(A): BasicSR's Y. Gray(+alpha): the gray values themselves,
 * as BasicSR does for a one-channel image — unless `grayAsRgb`, used when the other image of the
 * pair is in colour, so both sides go through the same Y conversion. Alpha is ignored.
 */
export function lumaPlane(image: Image, grayAsRgb = false, what = 'image'): Plane {
  if (image.bitDepth !== 8) {
    throw new WgsrError('BAD_IMAGE', `${what} is ${image.bitDepth}-bit; PSNR/SSIM here follow BasicSR on 8-bit images (convert it to 8-bit first)`);
  }
  const { width, height, channels } = image;
  const src = image.data;
  const n = width * height;
  const data = new Float64Array(n);
  const color = channels >= 3;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    if (color) data[i] = basicsrY(src[p]!, src[p + 1]!, src[p + 2]!);
    else data[i] = grayAsRgb ? basicsrY(src[p]!, src[p]!, src[p]!) : src[p]!;
  }
  return { width, height, data };
}
