import { WgsrError } from '../errors.js';

/** What a WebP's RIFF chunks say, read without decoding. */
export interface WebpHeader {
  width: number;
  height: number;
  hasAlpha: boolean;
  /** The EXIF chunk's TIFF data, if any. */
  exif?: Uint8Array;
  /** The ICCP chunk, if any. */
  icc?: Uint8Array;
}

/**
 * Walks the RIFF container: VP8 (lossy), VP8L (lossless) or VP8X (extended: alpha, EXIF, ICC,
 * animation flags and the canvas size). Animated WebP is refused: wgsr upscales one image.
 */
export function readWebpHeader(bytes: Uint8Array, name: string): WebpHeader {
  const bad = (what: string) => new WgsrError('BAD_IMAGE', `${name}: ${what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 20 || tag(0) !== 'RIFF' || tag(8) !== 'WEBP') throw bad('corrupt WebP: no RIFF/WEBP header');
  const end = Math.min(bytes.length, 8 + view.getUint32(4, true));
  const header: Partial<WebpHeader> & { hasAlpha: boolean } = { hasAlpha: false };
  let at = 12;
  while (at + 8 <= end) {
    const type = tag(at);
    const size = view.getUint32(at + 4, true);
    const data = at + 8;
    if (data + size > end) throw bad(`truncated WebP: chunk ${type} at byte ${at} needs ${size} bytes but the file ends at byte ${end}`);
    if (type === 'VP8X') {
      if (size < 10) throw bad('corrupt WebP: VP8X chunk too short');
      const flags = bytes[data]!;
      if (flags & 0x02) throw bad('animated WebP is not supported; extract one frame first');
      header.hasAlpha = (flags & 0x10) !== 0;
      header.width = 1 + (bytes[data + 4]! | (bytes[data + 5]! << 8) | (bytes[data + 6]! << 16));
      header.height = 1 + (bytes[data + 7]! | (bytes[data + 8]! << 8) | (bytes[data + 9]! << 16));
    } else if (type === 'VP8L' && header.width === undefined) {
      if (size < 5 || bytes[data] !== 0x2f) throw bad('corrupt WebP: bad VP8L signature');
      const bits = view.getUint32(data + 1, true);
      header.width = (bits & 0x3fff) + 1;
      header.height = ((bits >>> 14) & 0x3fff) + 1;
      header.hasAlpha = ((bits >>> 28) & 1) === 1;
    } else if (type === 'VP8 ' && header.width === undefined) {
      if (size < 10 || bytes[data + 3] !== 0x9d || bytes[data + 4] !== 0x01 || bytes[data + 5] !== 0x2a) throw bad('corrupt WebP: bad VP8 frame header');
      header.width = view.getUint16(data + 6, true) & 0x3fff;
      header.height = view.getUint16(data + 8, true) & 0x3fff;
    } else if (type === 'EXIF') {
      header.exif = bytes.subarray(data, data + size);
    } else if (type === 'ICCP') {
      header.icc = bytes.subarray(data, data + size);
    }
    at = data + size + (size & 1);
  }
  if (header.width === undefined || header.height === undefined) throw bad('corrupt WebP: no image chunk (VP8, VP8L or VP8X)');
  return header as WebpHeader;
}
