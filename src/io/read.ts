import type { Image } from '../image/types.js';
import type { ImageLimits } from './limits.js';
import { decodeImage } from './decode.js';
import { readRegularFile } from './read-file.js';

/**
 * Reads a PNG or JPEG file (format from its contents). Only a regular file is read, and only as
 * many bytes as it has (see read-file.ts); see decodeImage for what is refused.
 */
export async function readImage(path: string, limits?: ImageLimits): Promise<Image> {
  return decodeImage(await readRegularFile(path), path, limits);
}
