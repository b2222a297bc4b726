import { describe, expect, it } from 'vitest';
import { decodeImageAsync, decodeImageWithMetadata, encodeImage, encodeImageAsync } from '../../src/io/index.js';
import { applyOrientation, tiffOrientation } from '../../src/io/metadata.js';
import { hashSample, makeImage } from '../image/images.js';

const rgba = makeImage(7, 5, 4, 8, (x, y, c) => hashSample(x, y, c, 255));
const rgb = makeImage(7, 5, 3, 8, (x, y, c) => hashSample(x, y, c, 255));

describe('WebP through libwebp (WebAssembly) in Node', () => {
  it('lossless round trip is exact, with and without alpha', async () => {
    for (const image of [rgb, rgba]) {
      const back = await decodeImageAsync(await encodeImageAsync(image, 'webp'), 'x.webp');
      expect([back.width, back.height, back.channels]).toEqual([7, 5, image.channels]);
      expect([...back.data]).toEqual([...image.data]);
    }
  });

  it('lossy at a quality: close, not exact, and smaller at a lower quality', async () => {
    const big = makeImage(64, 64, 3, 8, (x, y) => (x * 3 + y * 2) % 256);
    const q90 = await encodeImageAsync(big, 'webp', { quality: 90 });
    const q20 = await encodeImageAsync(big, 'webp', { quality: 20 });
    expect(q20.length).toBeLessThan(q90.length);
    const back = await decodeImageAsync(q90, 'q90.webp');
    let worst = 0;
    for (let i = 0; i < big.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i]! - big.data[i]!));
    expect(worst).toBeLessThanOrEqual(16); // a smooth ramp at quality 90
  });

  it('a damaged WebP is one clear error', async () => {
    const bytes = await encodeImageAsync(rgb, 'webp');
    await expect(decodeImageAsync(bytes.subarray(0, 30), 'cut.webp')).rejects.toThrow(/cut\.webp: (truncated|corrupt)/);
  });
});

/** TIFF-structured EXIF with only IFD0's Orientation tag. */
function exif(orientation: number, little = true): Uint8Array {
  const b = Buffer.alloc(26);
  const u16 = (v: number, at: number) => (little ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (little ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  b.write(little ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(orientation, 18);
  return b;
}

/** A JPEG with an APP1 Exif segment right after SOI. */
function withExif(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = exif(orientation, false);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(0xffe1, 0);
  head.writeUInt16BE(2 + 6 + tiff.length, 2);
  head.write('Exif\0\0', 4, 'latin1');
  return new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), head, tiff, jpeg.subarray(2)]));
}

describe('EXIF orientation and ICC profiles', () => {
  it('reads the Orientation tag in both byte orders', () => {
    expect(tiffOrientation(exif(6))).toBe(6);
    expect(tiffOrientation(exif(8, false))).toBe(8);
    expect(tiffOrientation(new Uint8Array(3))).toBe(1);
  });

  it('orientation 6 turns the image 90° clockwise: the stored top row becomes the right column', () => {
    const image = makeImage(3, 2, 1, 8, (x, y) => y * 3 + x); // rows [0 1 2] [3 4 5]
    const turned = applyOrientation(image, 6);
    expect([turned.width, turned.height]).toEqual([2, 3]);
    expect([...turned.data]).toEqual([3, 0, 4, 1, 5, 2]);
    expect([...applyOrientation(image, 8).data]).toEqual([2, 5, 1, 4, 0, 3]);
    expect([...applyOrientation(image, 3).data]).toEqual([5, 4, 3, 2, 1, 0]);
    expect([...applyOrientation(image, 2).data]).toEqual([2, 1, 0, 5, 4, 3]);
  });

  it('a JPEG with Orientation 6 decodes upright (sides swapped)', async () => {
    const jpeg = encodeImage(makeImage(16, 8, 3, 8, (x) => x * 16), 'jpeg', { quality: 100 });
    const image = await decodeImageAsync(withExif(jpeg, 6), 'turned.jpg');
    expect([image.width, image.height]).toEqual([8, 16]);
  });

  it('an ICC profile survives PNG → PNG and JPEG → JPEG', async () => {
    const icc = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251); // two APP2 segments in JPEG
    for (const format of ['png', 'jpeg'] as const) {
      const bytes = encodeImage(rgb, format, { icc });
      const { metadata } = await decodeImageWithMetadata(bytes, `icc.${format}`);
      expect(metadata.icc && Buffer.from(metadata.icc).equals(Buffer.from(icc)), format).toBe(true);
    }
  });
});
