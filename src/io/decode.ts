import type { Image } from '../image/types.js';
import type { ImageLimits } from './limits.js';
import { sniffFormat } from './sniff.js';
import { decodePng } from './png.js';
import { decodeJpeg } from './jpeg.js';

/**
 * Decodes PNG or JPEG bytes, chosen by their magic bytes (never by `name`, which only labels
 * errors). Refuses empty, truncated, corrupt and oversized (see ImageLimits) files with
 * WgsrError('BAD_IMAGE') naming `name`.
 */
export function decodeImage(bytes: Uint8Array, name: string, limits?: ImageLimits): Image {
  return sniffFormat(bytes, name) === 'png' ? decodePng(bytes, name, limits) : decodeJpeg(bytes, name, limits);
}
