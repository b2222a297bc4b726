import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { validateImage } from '../image/validate.js';
import type { ImageFormat } from './sniff.js';
import { encodePng } from './png.js';
import { encodeJpeg } from './jpeg.js';
import { encodeWebp } from './webp.js';
import { jpegWithIcc, pngWithIcc } from './metadata.js';

export interface EncodeOptions {
  /**
   * JPEG quality 1–100, default 95 (what cv2.imwrite, and so Real-ESRGAN, uses). For WebP:
   * lossy at this quality; without it WebP is lossless (as cv2.imwrite's default).
   */
  quality?: number;
  /** Names the image in errors. */
  name?: string;
  /** An ICC profile to embed (PNG iCCP, JPEG APP2); WebP output carries none. */
  icc?: Uint8Array;
}

function checkQuality(quality: number | undefined): void {
  if (quality !== undefined && (!Number.isInteger(quality) || quality < 1 || quality > 100)) {
    throw new WgsrError('BAD_ARGUMENT', `quality must be a whole number from 1 to 100, got ${String(quality)}`);
  }
}

/** PNG keeps the image's channels and bit depth; JPEG is 8-bit RGB without alpha (see jpeg.ts). */
export function encodeImage(image: Image, format: ImageFormat, options: EncodeOptions = {}): Uint8Array {
  const name = options.name ?? 'image';
  validateImage(image, name);
  checkQuality(options.quality);
  if (format === 'webp') throw new WgsrError('BAD_ARGUMENT', `${name}: WebP is encoded asynchronously; use encodeImageAsync or writeImage`);
  if (format === 'png') {
    const png = encodePng(image);
    return options.icc ? pngWithIcc(png, options.icc) : png;
  }
  const jpeg = encodeJpeg(image, name, options.quality ?? 95);
  return options.icc ? jpegWithIcc(jpeg, options.icc) : jpeg;
}

/** encodeImage for every format, WebP included (8-bit RGB or RGBA; see webp.ts). */
export async function encodeImageAsync(image: Image, format: ImageFormat, options: EncodeOptions = {}): Promise<Uint8Array> {
  if (format !== 'webp') return encodeImage(image, format, options);
  const name = options.name ?? 'image';
  validateImage(image, name);
  checkQuality(options.quality);
  return encodeWebp(image, name, { quality: options.quality });
}
