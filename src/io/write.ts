import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import type { ImageFormat } from './sniff.js';
import { encodeImage } from './encode.js';
import { ioError } from './fs-errors.js';

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
  const bytes = encodeImage(image, format, { quality: options.quality, name: path });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw ioError(e, `cannot write ${path}`);
  }
}

/** Same path, or two names of one file (a link): compared by device and inode when both exist. */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}
