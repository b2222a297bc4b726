import { WgsrError } from '../errors.js';
import type { Image } from './types.js';

/**
 * Throws WgsrError('BAD_IMAGE') unless `image` is a well-formed Image: positive integer size,
 * 1–4 channels, an 8/16-bit depth whose typed array matches, and exactly width·height·channels
 * elements. `what` names the image in the message (a file name, "input image").
 */
export function validateImage(image: Image, what = 'image'): void {
  const { width, height, channels, bitDepth, data } = image;
  const bad = (problem: string) => new WgsrError('BAD_IMAGE', `${what}: ${problem}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw bad(`size ${width}×${height} is not a positive whole number of pixels`);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw bad(`${String(channels)} channels; expected 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)`);
  }
  if (bitDepth !== 8 && bitDepth !== 16) throw bad(`bit depth ${String(bitDepth)}; expected 8 or 16`);
  const wantType = bitDepth === 8 ? 'Uint8Array' : 'Uint16Array';
  const typeOk = bitDepth === 8 ? data instanceof Uint8Array : data instanceof Uint16Array;
  if (!typeOk) {
    const got = (data as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? typeof data;
    throw bad(`a ${bitDepth}-bit image needs its data in a ${wantType}, got ${got}`);
  }
  const want = width * height * channels;
  if (data.length !== want) {
    throw bad(`data has ${data.length} values but ${width}×${height}×${channels} needs ${want}`);
  }
}

/** The largest sample value of a bit depth: 255 or 65535. */
export const maxValue = (bitDepth: 8 | 16): number => (bitDepth === 8 ? 255 : 65535);
