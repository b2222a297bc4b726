import { deflateSync, inflateSync } from 'node:zlib';
import type { Image } from '../image/types.js';
import { crc32 } from '../weights/zip.js';
import type { ImageFormat } from './sniff.js';
import { readWebpHeader } from './webp-header.js';

/**
 * The two pieces of metadata that change how an image looks: the EXIF orientation (a camera's
 * "rotate me"), applied to the pixels before upscaling so the result stands upright without it,
 * and the ICC color profile, carried over to a PNG or JPEG output so its colors mean the same.
 * Anything malformed here is ignored: metadata never makes a readable image unreadable.
 */
export interface ImageMetadata {
  /** EXIF orientation 1–8 (1: as stored). */
  orientation: number;
  icc?: Uint8Array;
}

/** ICC profiles are at most a few MB; a larger inflated iCCP chunk is ignored. */
const MAX_ICC_BYTES = 16 * 2 ** 20;

export function readMetadata(bytes: Uint8Array, format: ImageFormat): ImageMetadata {
  try {
    if (format === 'jpeg') return jpegMetadata(bytes);
    if (format === 'png') return pngMetadata(bytes);
    const header = readWebpHeader(bytes, 'image');
    return { orientation: header.exif ? tiffOrientation(header.exif) : 1, ...(header.icc && { icc: header.icc.slice() }) };
  } catch {
    return { orientation: 1 };
  }
}

function jpegMetadata(bytes: Uint8Array): ImageMetadata {
  const meta: ImageMetadata = { orientation: 1 };
  const icc: { seq: number; data: Uint8Array }[] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    if (marker === 0xda || marker === 0xd9) break;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const body = bytes.subarray(at + 4, Math.min(bytes.length, at + 2 + length));
    if (marker === 0xe1 && ascii(body, 0, 6) === 'Exif\0\0') meta.orientation = tiffOrientation(body.subarray(6));
    if (marker === 0xe2 && ascii(body, 0, 12) === 'ICC_PROFILE\0') icc.push({ seq: body[12]!, data: body.subarray(14) });
    at += 2 + length;
  }
  if (icc.length) meta.icc = new Uint8Array(Buffer.concat(icc.sort((a, b) => a.seq - b.seq).map((c) => c.data)));
  return meta;
}

function pngMetadata(bytes: Uint8Array): ImageMetadata {
  const meta: ImageMetadata = { orientation: 1 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'eXIf') meta.orientation = tiffOrientation(data);
    if (type === 'iCCP') {
      const nul = data.indexOf(0);
      if (nul > 0 && data[nul + 1] === 0) meta.icc = new Uint8Array(inflateSync(data.subarray(nul + 2), { maxOutputLength: MAX_ICC_BYTES }));
    }
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + length;
  }
  return meta;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The Orientation tag (0x0112) of IFD0 of TIFF-structured EXIF data, or 1. */
export function tiffOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const little = ascii(tiff, 0, 2) === 'II';
  if (!little && ascii(tiff, 0, 2) !== 'MM') return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) break;
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * The image as it is meant to be seen: EXIF orientation 2–8 flips and/or turns it (TIFF 6.0,
 * tag 274: where the stored 0th row and 0th column belong).
 */
export function applyOrientation(image: Image, orientation: number): Image {
  if (orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, channels: c } = image;
  const turned = orientation >= 5;
  const ow = turned ? h : w;
  const oh = turned ? w : h;
  // The stored pixel shown at (x, y).
  const source: (x: number, y: number) => [number, number] = {
    2: (x: number, y: number): [number, number] => [w - 1 - x, y],
    3: (x: number, y: number): [number, number] => [w - 1 - x, h - 1 - y],
    4: (x: number, y: number): [number, number] => [x, h - 1 - y],
    5: (x: number, y: number): [number, number] => [y, x],
    6: (x: number, y: number): [number, number] => [y, h - 1 - x],
    7: (x: number, y: number): [number, number] => [w - 1 - y, h - 1 - x],
    8: (x: number, y: number): [number, number] => [w - 1 - y, x],
  }[orientation]!;
  const data = new (image.data.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor)(image.data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = source(x, y);
      const from = (sy * w + sx) * c;
      const to = (y * ow + x) * c;
      for (let k = 0; k < c; k++) data[to + k] = image.data[from + k]!;
    }
  }
  return { ...image, width: ow, height: oh, data } as Image;
}

/** A PNG with an iCCP chunk (the profile, deflated) right after IHDR. */
export function pngWithIcc(png: Uint8Array, icc: Uint8Array): Uint8Array {
  const ihdrEnd = 8 + 25;
  return new Uint8Array(Buffer.concat([png.subarray(0, ihdrEnd), iccpChunk(icc), png.subarray(ihdrEnd)]));
}

/** The iCCP chunk of a profile: name "ICC Profile", compression 0, the profile deflated. */
export function iccpChunk(icc: Uint8Array): Uint8Array {
  const name = Buffer.from('ICC Profile\0\0', 'latin1'); // name, NUL, compression method 0
  return pngChunk('iCCP', Buffer.concat([name, deflateSync(icc)]));
}

/** One PNG chunk: length, type, data, CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** A JPEG with the profile in APP2 ICC_PROFILE segments (as many as it needs) after SOI/APP0. */
export function jpegWithIcc(jpeg: Uint8Array, icc: Uint8Array): Uint8Array {
  const per = 65519; // 65535 − length field − "ICC_PROFILE\0" − sequence and count bytes
  const count = Math.ceil(icc.length / per);
  if (count > 255) return jpeg; // beyond what the APP2 convention can number
  const segments: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = icc.subarray(i * per, (i + 1) * per);
    const head = Buffer.alloc(4 + 14);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + 14 + part.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = i + 1;
    head[17] = count;
    segments.push(head, Buffer.from(part));
  }
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4]! << 8) | jpeg[5]!);
  return new Uint8Array(Buffer.concat([jpeg.subarray(0, at), ...segments, jpeg.subarray(at)]));
}
