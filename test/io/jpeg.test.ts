import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { encodeImage } from '../../src/io/encode.js';
import { isWgsrError } from '../../src/errors.js';
import { expectClose } from '../helpers/compare.js';
import { makeImage } from '../image/images.js';

// A smooth image: JPEG keeps it well, so a write→read round trip must come back close.
const smooth = (x: number, y: number, c: number) => Math.round(128 + 100 * Math.sin(x / 9 + c) * Math.cos(y / 7));

describe('JPEG encode → decode', () => {
  it('RGB at quality 95 comes back within |Δ| ≤ 12, mean ≤ 1.5 (measured: max 6, mean 0.89)', () => {
    const image = makeImage(64, 48, 3, 8, smooth);
    const back = decodeImage(encodeImage(image, 'jpeg'), 'q95.jpg');
    expect([back.width, back.height, back.channels, back.bitDepth]).toEqual([64, 48, 3, 8]);
    const c = expectClose(back.data, image.data, 12, 0, 'q95 round trip');
    const mean = Array.from(back.data).reduce((s, v, i) => s + Math.abs(v - image.data[i]!), 0) / image.data.length;
    expect(mean).toBeLessThan(1.5);
    expect(c.maxAbs).toBeGreaterThan(0); // lossy: identical output would mean nothing was encoded
  });

  it('lower quality gives a smaller file', () => {
    const image = makeImage(64, 48, 3, 8, smooth);
    expect(encodeImage(image, 'jpeg', { quality: 30 }).length).toBeLessThan(encodeImage(image, 'jpeg', { quality: 95 }).length);
  });

  it('gray is written as 3-component JPEG and reads back as three near-equal channels', () => {
    const image = makeImage(32, 32, 1, 8, (x, y) => smooth(x, y, 0));
    const back = decodeImage(encodeImage(image, 'jpeg'), 'gray.jpg');
    expect(back.channels).toBe(3);
    const first: number[] = [];
    for (let i = 0; i < back.data.length; i += 3) first.push(back.data[i]!);
    expectClose(first, image.data, 12, 0, 'gray via JPEG (|Δ| ≤ 12)');
  });

  it('16-bit is written as 8-bit (v/257 rounded)', () => {
    const image = makeImage(32, 32, 3, 16, (x, y, c) => smooth(x, y, c) * 257);
    const back = decodeImage(encodeImage(image, 'jpeg'), '16bit.jpg');
    expect(back.bitDepth).toBe(8);
    expectClose(back.data, Array.from(image.data, (v) => v / 257), 12, 0, '16-bit via JPEG (|Δ| ≤ 12)');
  });

  it('refuses alpha and bad quality', () => {
    const codes = [
      () => encodeImage(makeImage(4, 4, 4, 8, () => 1), 'jpeg'),
      () => encodeImage(makeImage(4, 4, 2, 8, () => 1), 'jpeg'),
      () => encodeImage(makeImage(4, 4, 3, 8, () => 1), 'jpeg', { quality: 0 }),
      () => encodeImage(makeImage(4, 4, 3, 8, () => 1), 'jpeg', { quality: 101 }),
    ].map((f) => {
      try {
        f();
      } catch (e) {
        return isWgsrError(e) ? e.code : 'other';
      }
      return 'none';
    });
    expect(codes).toEqual(['BAD_ARGUMENT', 'BAD_ARGUMENT', 'BAD_ARGUMENT', 'BAD_ARGUMENT']);
  });
});
