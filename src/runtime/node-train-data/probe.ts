import { readJpegHeader } from '../../io/jpeg-header.js';
import { readMetadata } from '../../io/metadata.js';
import { readPngHeader } from '../../io/png-header.js';
import { readRegularFile } from '../../io/read-file.js';
import { sniffFormat } from '../../io/sniff.js';
import { readWebpHeader } from '../../io/webp-header.js';

/** What an image file will decode to, from its header: upright size (EXIF orientation applied) and bit depth. */
export interface ImageShape {
  width: number;
  height: number;
  bitDepth: 8 | 16;
}

export function shapeFromBytes(bytes: Uint8Array, name: string): ImageShape {
  const format = sniffFormat(bytes, name);
  const ignore = () => undefined;
  let shape: ImageShape;
  if (format === 'png') {
    const h = readPngHeader(bytes, name, ignore);
    shape = { width: h.width, height: h.height, bitDepth: h.bitDepth === 16 ? 16 : 8 };
  } else if (format === 'jpeg') {
    const h = readJpegHeader(bytes, name, ignore);
    shape = { width: h.width, height: h.height, bitDepth: 8 };
  } else {
    const h = readWebpHeader(bytes, name);
    shape = { width: h.width, height: h.height, bitDepth: 8 };
  }
  // Orientations 5–8 turn the picture a quarter: width and height trade places.
  if (readMetadata(bytes, format).orientation >= 5) shape = { ...shape, width: shape.height, height: shape.width };
  return shape;
}

export async function probeImageShape(path: string): Promise<ImageShape> {
  return shapeFromBytes(await readRegularFile(path), path);
}
