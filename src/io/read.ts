import type { Image } from '../image/types.js';
import type { ImageLimits } from './limits.js';
import { decodeImageWithMetadata } from './decode.js';
import type { ImageMetadata } from './metadata.js';
import { readRegularFile } from './read-file.js';

/**
 * Reads a PNG, JPEG or WebP file (format from its contents), upright by its EXIF orientation.
 * Only a regular file is read, and only as many bytes as it has (see read-file.ts); see
 * decodeImage for what is refused.
 */
export async function readImage(path: string, limits?: ImageLimits): Promise<Image> {
  return (await readImageWithMetadata(path, limits)).image;
}

/** readImage, with the ICC profile (and orientation) a writer can carry over (WriteOptions.icc). */
export async function readImageWithMetadata(path: string, limits?: ImageLimits): Promise<{ image: Image; metadata: ImageMetadata }> {
  return decodeImageWithMetadata(await readRegularFile(path), path, limits);
}
