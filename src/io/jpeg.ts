import jpeg from 'jpeg-js';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { checkDecoderMemory, checkDeclaredSize, DEFAULT_LIMITS, type ImageLimits } from './limits.js';
import { readJpegHeader } from './jpeg-header.js';
import { checkEntropyDataSize, jpegDecoderMemory } from './jpeg-budget.js';

/**
 * JPEG through jpeg-js. A 1-component (gray) JPEG comes out of jpeg-js as RGB with three equal
 * channels; we keep one, so gray stays gray. CMYK is refused (jpeg-header.ts).
 */
export function decodeJpeg(bytes: Uint8Array, name: string, limits?: ImageLimits): Image {
  const header = readJpegHeader(bytes, name, (w, h) => checkDeclaredSize(name, 'JPEG', w, h, limits));
  // Before jpeg-js allocates for the declared size: the file must hold enough data to code it,
  // and the decode must fit the memory budget (jpeg-budget.ts).
  checkEntropyDataSize(bytes, header, name);
  const memory = jpegDecoderMemory(header);
  checkDecoderMemory(name, `${header.width}×${header.height} JPEG`, memory.estimate, limits);
  const pixels = header.width * header.height;
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: (limits?.maxPixels ?? DEFAULT_LIMITS.maxPixels) / 1e6,
      // What jpeg-js will count for this frame (checked against the budget above), plus its
      // Huffman and quantisation tables, which cannot take more than 4 bytes per byte of file.
      // A file that makes it allocate more than that (a second frame header…) is stopped.
      maxMemoryUsageInMB: Math.ceil((memory.counted + 4 * bytes.length) / 2 ** 20) + 1,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new WgsrError('BAD_IMAGE', `${name}: corrupt or truncated JPEG (${why})`, { cause: e });
  }
  if (decoded.width !== header.width || decoded.height !== header.height) {
    throw new WgsrError('BAD_IMAGE', `${name}: corrupt JPEG (decoded ${decoded.width}×${decoded.height}, header says ${header.width}×${header.height})`);
  }
  if (header.components === 3) return { width: decoded.width, height: decoded.height, channels: 3, bitDepth: 8, data: decoded.data };
  const gray = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) gray[p] = decoded.data[p * 3]!;
  return { width: decoded.width, height: decoded.height, channels: 1, bitDepth: 8, data: gray };
}

/**
 * A baseline JPEG (jpeg-js writes 3-component YCbCr, so gray comes back as three equal
 * channels). JPEG is 8-bit: a 16-bit image is converted with v·255/65535 rounded (v/257).
 * JPEG has no alpha channel, so an image with alpha is refused rather than silently flattened.
 */
export function encodeJpeg(image: Image, name: string, quality: number): Uint8Array {
  if (image.channels === 2 || image.channels === 4) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: JPEG cannot store the alpha channel of this image; write a .png instead`);
  }
  const pixels = image.width * image.height;
  const rgba = new Uint8Array(pixels * 4);
  const to8 = image.bitDepth === 16 ? (v: number) => Math.round(v / 257) : (v: number) => v;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = to8(image.data[p * image.channels + (image.channels === 1 ? 0 : c)]!);
    rgba[p * 4 + 3] = 255;
  }
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: rgba }, quality).data;
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}
