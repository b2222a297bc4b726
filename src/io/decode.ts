import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import type { ImageLimits } from './limits.js';
import { sniffFormat } from './sniff.js';
import { decodePng } from './png.js';
import { decodeJpeg } from './jpeg.js';
import { decodeWebp } from './webp.js';
import { applyOrientation, readMetadata, type ImageMetadata } from './metadata.js';

/**
 * Decodes PNG or JPEG bytes, chosen by their magic bytes (never by `name`, which only labels
 * errors), turned upright by their EXIF orientation. Refuses empty, truncated, corrupt and
 * oversized (see ImageLimits) files with WgsrError('BAD_IMAGE') naming `name`. WebP's decoder
 * is WebAssembly that loads asynchronously: use decodeImageAsync (or readImage) for it.
 */
export function decodeImage(bytes: Uint8Array, name: string, limits?: ImageLimits): Image {
  const format = sniffFormat(bytes, name);
  if (format === 'webp') throw new WgsrError('BAD_ARGUMENT', `${name}: WebP is decoded asynchronously; use decodeImageAsync or readImage`);
  const image = format === 'png' ? decodePng(bytes, name, limits) : decodeJpeg(bytes, name, limits);
  return applyOrientation(image, readMetadata(bytes, format).orientation);
}

/** decodeImage for every format (PNG, JPEG, WebP), with the metadata a writer can carry over. */
export async function decodeImageWithMetadata(bytes: Uint8Array, name: string, limits?: ImageLimits): Promise<{ image: Image; metadata: ImageMetadata }> {
  const format = sniffFormat(bytes, name);
  const metadata = readMetadata(bytes, format);
  const image = format === 'webp' ? await decodeWebp(bytes, name, limits) : format === 'png' ? decodePng(bytes, name, limits) : decodeJpeg(bytes, name, limits);
  return { image: applyOrientation(image, metadata.orientation), metadata };
}

export async function decodeImageAsync(bytes: Uint8Array, name: string, limits?: ImageLimits): Promise<Image> {
  return (await decodeImageWithMetadata(bytes, name, limits)).image;
}
