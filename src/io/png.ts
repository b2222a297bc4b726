import { inflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { checkDecoderMemory, checkDeclaredSize, type ImageLimits } from './limits.js';
import { inflatedSize, readPngHeader } from './png-header.js';

const { PNG } = pngjs;

/**
 * PNG through pngjs. pngjs always hands back RGBA; the real layout comes from IHDR and tRNS
 * (png-header.ts), and we reduce to it, so gray stays 1 channel, gray+alpha 2, RGB 3:
 * - gray (any depth) → 1 channel; with tRNS → gray+alpha;
 * - RGB → 3; with tRNS → RGBA; palette → RGB, or RGBA when it has tRNS;
 * - 16-bit stays 16-bit (skipRescale); 1/2/4-bit gray is scaled to 8-bit by pngjs (v·255/max).
 * pngjs applies tRNS by zeroing every sample of a transparent pixel, color included.
 */
export function decodePng(bytes: Uint8Array, name: string, limits?: ImageLimits): Image {
  const header = readPngHeader(bytes, name, (w, h) => checkDeclaredSize(name, 'PNG', w, h, limits));
  checkDecoderMemory(name, `${header.width}×${header.height} PNG`, pngDecoderMemory(header), limits);
  checkImageDataSize(bytes, header, name);
  let decoded: { width: number; height: number; data: Uint8Array | Uint16Array };
  try {
    // pngjs refuses bytes after IEND ("unrecognised content at end of stream"); they are not
    // part of the image (readPngHeader), so it gets the file up to IEND.
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, header.end);
    decoded = PNG.sync.read(buffer, { skipRescale: header.bitDepth === 16 }) as typeof decoded;
  } catch (e) {
    throw new WgsrError('BAD_IMAGE', `${name}: corrupt PNG (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const gray = header.colorType === 0 || header.colorType === 4;
  const alpha = header.colorType === 4 || header.colorType === 6 || header.hasTransparency;
  const channels = ((gray ? 1 : 3) + (alpha ? 1 : 0)) as Image['channels'];
  const bitDepth = header.bitDepth === 16 ? 16 : 8;
  const pick = gray ? (alpha ? [0, 3] : [0]) : alpha ? [0, 1, 2, 3] : [0, 1, 2];
  const pixels = header.width * header.height;
  const data = bitDepth === 16 ? new Uint16Array(pixels * channels) : new Uint8Array(pixels * channels);
  const rgba = decoded.data;
  if (rgba.length < pixels * 4) throw new WgsrError('BAD_IMAGE', `${name}: corrupt PNG (decoded data is too short)`);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = rgba[p * 4 + pick[c]!]!;
  }
  return { width: header.width, height: header.height, channels, bitDepth, data };
}

/**
 * Memory a decode takes: the image data inflated twice (our size check below, then pngjs), the
 * RGBA pixels pngjs returns (8 or 16 bits per sample) and our copy in the image's own layout.
 */
function pngDecoderMemory(header: ReturnType<typeof readPngHeader>): number {
  const pixels = header.width * header.height;
  const sampleBytes = header.bitDepth === 16 ? 2 : 1;
  return 2 * inflatedSize(header) + pixels * 4 * sampleBytes + pixels * 4 * sampleBytes;
}

/**
 * pngjs trusts the header's size: it inflates interlaced images without an output limit (a
 * small file could expand to gigabytes), and fills scanlines missing from short image data
 * with uninitialised memory (a tiny file decodes to a huge image of stale process memory).
 * Inflating once here, limited to the exact size the header implies, refuses both.
 */
function checkImageDataSize(bytes: Uint8Array, header: ReturnType<typeof readPngHeader>, name: string): void {
  const compressed = Buffer.concat(header.idat.map(([start, end]) => bytes.subarray(start, end)));
  const expected = inflatedSize(header);
  let inflated: Buffer;
  try {
    inflated = inflateSync(compressed, { maxOutputLength: expected });
  } catch (e) {
    const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    throw new WgsrError(
      'BAD_IMAGE',
      tooBig
        ? `${name}: corrupt PNG: its image data expands beyond the ${expected} bytes its header implies`
        : `${name}: corrupt PNG (image data: ${e instanceof Error ? e.message : String(e)})`,
      { cause: e },
    );
  }
  if (inflated.length < expected) {
    throw new WgsrError('BAD_IMAGE', `${name}: truncated PNG: its image data holds ${inflated.length} of the ${expected} bytes its header implies`);
  }
}

const COLOR_TYPE: Record<Image['channels'], 0 | 2 | 4 | 6> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/** A PNG with the image's own channels and bit depth (color types 0, 4, 2, 6; 8 or 16 bits). */
export function encodePng(image: Image): Uint8Array {
  const colorType = COLOR_TYPE[image.channels];
  // pngjs reads 16-bit input through `new Uint16Array(data.buffer)`: it must start at offset 0.
  const data = image.bitDepth === 16 && image.data.byteOffset !== 0 ? new Uint16Array(image.data) : image.data;
  const png = { width: image.width, height: image.height, data, gamma: 0 } as unknown as InstanceType<typeof PNG>;
  return PNG.sync.write(png, {
    colorType,
    inputColorType: colorType,
    bitDepth: image.bitDepth,
    inputHasAlpha: image.channels === 2 || image.channels === 4,
    deflateLevel: 6,
    deflateStrategy: 0,
  });
}
