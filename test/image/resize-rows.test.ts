import { describe, expect, it } from 'vitest';
import { LanczosRows, resizeLanczos } from '../../src/image/resize.js';
import type { Image } from '../../src/image/types.js';
import { rng } from '../helpers/synthetic.js';

/** A random image: noise, so that every tap and every rounding shows. */
function noise(width: number, height: number, channels: Image['channels'], bitDepth: 8 | 16, seed: number): Image {
  const random = rng(seed);
  const max = bitDepth === 8 ? 255 : 65535;
  const data = bitDepth === 8 ? new Uint8Array(width * height * channels) : new Uint16Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * (max + 1));
  return { width, height, channels, bitDepth, data } as Image;
}

/** Rows [y0, y1) of `image` as an image of their own (a view). */
function rows(image: Image, y0: number, y1: number): Image {
  const stride = image.width * image.channels;
  return { ...image, height: y1 - y0, data: image.data.subarray(y0 * stride, y1 * stride) } as Image;
}

describe('LanczosRows: the resize fed a band of rows at a time', () => {
  // Enlarging (outscale between the network's scale and more), shrinking (the stretched kernel
  // reaches further), bands of 1 row, of uneven sizes, and the whole image at once.
  const cases = [
    { w: 37, h: 29, dw: 55, dh: 43, channels: 3, bitDepth: 8, bands: [1, 5, 7, 16] },
    { w: 40, h: 32, dw: 13, dh: 11, channels: 4, bitDepth: 16, bands: [3, 9, 20] },
    { w: 24, h: 50, dw: 24, dh: 71, channels: 1, bitDepth: 8, bands: [2, 11] },
    { w: 30, h: 18, dw: 45, dh: 27, channels: 2, bitDepth: 16, bands: [4, 6, 8] },
  ] as const;
  for (const c of cases) {
    it(`${c.w}×${c.h} → ${c.dw}×${c.dh}, ${c.channels} channels, ${c.bitDepth}-bit: band by band equals the whole`, () => {
      const src = noise(c.w, c.h, c.channels, c.bitDepth, c.w * 7 + c.dh);
      const whole = resizeLanczos(src, c.dw, c.dh);
      for (const bandRows of c.bands) {
        const resizer = new LanczosRows(src, c.dw, c.dh);
        const out = new (c.bitDepth === 8 ? Uint8Array : Uint16Array)(whole.data.length);
        let next = 0;
        for (let y = 0; y < c.h; y += bandRows) {
          const done = resizer.push(rows(src, y, Math.min(c.h, y + bandRows)), y);
          expect(done.y0).toBe(next);
          out.set(done.image.data, done.y0 * c.dw * c.channels);
          next += done.image.height;
        }
        expect(next).toBe(c.dh);
        expect(out).toEqual(whole.data);
      }
    });
  }
});
