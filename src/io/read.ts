import { readFile } from 'node:fs/promises';
import type { Image } from '../image/types.js';
import type { ImageLimits } from './limits.js';
import { decodeImage } from './decode.js';
import { ioError } from './fs-errors.js';

/** Reads a PNG or JPEG file (format from its contents). See decodeImage for what is refused. */
export async function readImage(path: string, limits?: ImageLimits): Promise<Image> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError(e, `cannot read ${path}`);
  }
  return decodeImage(bytes, path, limits);
}
