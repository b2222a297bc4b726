import { extname } from 'node:path';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import type { ImageFormat } from './sniff.js';
import { encodeImage } from './encode.js';
import { sameFile, writeFileAtomic } from './atomic.js';

export interface WriteOptions {
  /** JPEG quality 1–100, default 95. */
  quality?: number;
  /** The file the image was made from: writing over it is refused. */
  inputPath?: string;
}

/** The format an output path asks for: .png, .jpg or .jpeg (any case). */
export function formatFromExtension(path: string): ImageFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new WgsrError('BAD_ARGUMENT', `${path}: cannot tell the output format from "${ext || 'no extension'}"; use .png, .jpg or .jpeg`);
}

/**
 * Writes `image` to `path` in the format its extension names. Atomic: the bytes go to
 * `<path>.<random>.tmp` in the same folder, which is then renamed over `path`, so a reader
 * never sees half a file and a failure leaves the old file (and no temp file) behind.
 */
export async function writeImage(path: string, image: Image, options: WriteOptions = {}): Promise<void> {
  const format = formatFromExtension(path);
  if (options.inputPath !== undefined && (await sameFile(path, options.inputPath))) {
    throw new WgsrError('IO', `${path}: refusing to write over the input image; choose another output name`);
  }
  await writeFileAtomic(path, encodeImage(image, format, { quality: options.quality, name: path }));
}
