import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { validateImage } from '../image/validate.js';
import type { ImageFormat } from './sniff.js';
import { encodePng } from './png.js';
import { encodeJpeg } from './jpeg.js';

export interface EncodeOptions {
  /** JPEG quality 1–100. Default 95, what cv2.imwrite (and so Real-ESRGAN) uses. */
  quality?: number;
  /** Names the image in errors. */
  name?: string;
}

/** PNG keeps the image's channels and bit depth; JPEG is 8-bit RGB without alpha (see jpeg.ts). */
export function encodeImage(image: Image, format: ImageFormat, options: EncodeOptions = {}): Uint8Array {
  const name = options.name ?? 'image';
  validateImage(image, name);
  if (format === 'png') return encodePng(image);
  const quality = options.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new WgsrError('BAD_ARGUMENT', `JPEG quality must be a whole number from 1 to 100, got ${String(quality)}`);
  }
  return encodeJpeg(image, name, quality);
}
