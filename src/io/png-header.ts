import { WgsrError } from '../errors.js';
import { crc32 } from '../weights/zip.js';

/** What the chunk layout of a PNG says, read without decoding any pixels. */
export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
  /** A tRNS chunk: gray, RGB and palette images then carry an alpha channel. */
  hasTransparency: boolean;
  /** [start, end) of every IDAT chunk's data. */
  idat: [number, number][];
  /** Offset just past the IEND chunk: anything after it is not part of the image. */
  end: number;
}

const VALID_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Samples per pixel of each color type. */
export const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Critical chunks a PNG holds once at most; libpng refuses a second one too. */
const ONCE = new Set(['IHDR', 'PLTE']);

/**
 * Reads IHDR, then walks the chunk list to IEND, checking every chunk's CRC. `onSize` runs right
 * after IHDR, so an absurd declared size is refused before anything else happens. A file that
 * ends inside a chunk or before IEND is reported as truncated, with the offset; damage is
 * reported by chunk and offset. Bytes after IEND are ignored, as libpng, PIL and ImageMagick do
 * (some tools append data there).
 */
export function readPngHeader(bytes: Uint8Array, name: string, onSize: (width: number, height: number) => void): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string) => new WgsrError('BAD_IMAGE', `${name}: ${what}`);
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 8 + 8 + 13) throw bad(`truncated PNG: ${bytes.length} bytes, too short for its header`);
  if (type(12) !== 'IHDR' || view.getUint32(8) !== 13) throw bad('corrupt PNG: the first chunk is not a 13-byte IHDR');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  onSize(width, height);
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  if (!VALID_DEPTHS[colorType]?.includes(bitDepth)) {
    throw bad(`corrupt PNG: IHDR has color type ${colorType} with bit depth ${bitDepth}, which PNG does not allow`);
  }
  const interlace = bytes[28]!;
  if (interlace > 1) throw bad(`corrupt PNG: unknown interlace method ${interlace}`);

  const header: PngHeader = { width, height, bitDepth, colorType, interlaced: interlace === 1, hasTransparency: false, idat: [], end: 0 };
  const seen = new Set<string>();
  let at = 8;
  for (;;) {
    if (at + 8 > bytes.length) throw bad(`truncated PNG: the file ends at byte ${bytes.length} before the IEND chunk`);
    const length = view.getUint32(at);
    const chunk = type(at + 4);
    const end = at + 12 + length;
    if (!/^[A-Za-z]{4}$/.test(chunk)) throw bad(`corrupt PNG: no valid chunk at byte ${at} (its type bytes are not letters)`);
    if (end > bytes.length) {
      throw bad(`truncated PNG: chunk ${chunk} at byte ${at} needs ${length} bytes of data but the file ends at byte ${bytes.length}`);
    }
    if (crc32(bytes.subarray(at + 4, end - 4)) !== view.getUint32(end - 4)) {
      throw bad(`corrupt PNG: CRC error in chunk ${chunk} at byte ${at}; the file is damaged`);
    }
    if (ONCE.has(chunk) && seen.has(chunk)) throw bad(`corrupt PNG: a second ${chunk} chunk at byte ${at} (a PNG has at most one)`);
    if (chunk === 'IDAT' && seen.has('after IDAT')) {
      throw bad(`corrupt PNG: the IDAT chunk at byte ${at} does not follow the other IDAT chunks (they must be consecutive)`);
    }
    if (chunk !== 'IDAT' && seen.has('IDAT')) seen.add('after IDAT');
    seen.add(chunk);
    if (chunk === 'tRNS') header.hasTransparency = true;
    if (chunk === 'IDAT') header.idat.push([at + 8, at + 8 + length]);
    if (chunk === 'IEND') break;
    at = end;
  }
  if (header.idat.length === 0) throw bad('corrupt PNG: no image data (IDAT chunk)');
  header.end = at + 12 + view.getUint32(at);
  return header;
}

/** Bytes the decompressed image data must have: filter byte + packed samples per row, per Adam7 pass if interlaced. */
export function inflatedSize(h: PngHeader): number {
  const bitsPerPixel = PNG_SAMPLES[h.colorType]! * h.bitDepth;
  const rowBytes = (w: number) => Math.ceil((w * bitsPerPixel) / 8) + 1;
  if (!h.interlaced) return rowBytes(h.width) * h.height;
  // Adam7: x start, x step, y start, y step of the seven passes.
  const passes = [[0, 8, 0, 8], [4, 8, 0, 8], [0, 4, 4, 8], [2, 4, 0, 4], [0, 2, 2, 4], [1, 2, 0, 2], [0, 1, 1, 2]] as const;
  let size = 0;
  for (const [x0, dx, y0, dy] of passes) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) size += rowBytes(w) * rows;
  }
  return size;
}
