import { extname } from 'node:path';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import type { ImageFormat } from './sniff.js';
import { encodeImageAsync } from './encode.js';
import { sameFile, writeFileAtomic } from './atomic.js';

export interface WriteOptions {
  /** JPEG quality 1–100, default 95; WebP: lossy at this quality, lossless without it. */
  quality?: number;
  /** The file the image was made from: writing over it is refused. */
  inputPath?: string;
  /** An ICC profile to embed in a PNG or JPEG (readImageWithMetadata gives the input's). */
  icc?: Uint8Array;
}

const FORMATS: Record<string, ImageFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The format an output path asks for: .png, .jpg, .jpeg or .webp (any case). `what` names it in the error. */
export function formatFromExtension(path: string, what: string = path): ImageFormat {
  const ext = extname(path).toLowerCase();
  const format = FORMATS[ext];
  if (!format) {
    const given = what === path ? `"${ext || 'no extension'}"` : `"${ext.slice(1)}"`;
    throw new WgsrError('BAD_ARGUMENT', `${what}: cannot tell the output format from ${given}; use png, jpg, jpeg or webp`);
  }
  return format;
}

/**
 * Writes `image` to `path` in the format its extension names. Atomic: the bytes go to a temp
 * file in the same folder, which is then renamed over `path`, so a reader never sees half a
 * file and a failure leaves the old file (and no temp file) behind.
 */
export async function writeImage(path: string, image: Image, options: WriteOptions = {}): Promise<void> {
  const format = formatFromExtension(path);
  if (options.inputPath !== undefined && (await sameFile(path, options.inputPath))) {
    throw new WgsrError('IO', `${path}: refusing to write over the input image; choose another output name`);
  }
  await writeFileAtomic(path, await encodeImageAsync(image, format, { quality: options.quality, name: path, icc: options.icc }));
}
