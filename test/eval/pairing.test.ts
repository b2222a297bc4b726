import { describe, expect, it } from 'vitest';
import { matchSizes, matchesHr, modCrop, pairByName } from '../../src/eval/index.js';
import type { Image } from '../../src/image/types.js';

const blank = (width: number, height: number): Image => ({ width, height, channels: 3, bitDepth: 8, data: new Uint8Array(width * height * 3) });

describe('pairing by base name', () => {
  it('accepts NAME, NAME_out, NAMEx4 and NAME_x4 with any extension, and nothing else', () => {
    for (const c of ['0001.png', '0001.jpg', '0001_out.png', '0001x4.png', '0001_x2.jpeg']) expect(matchesHr('0001.png', c), c).toBe(true);
    for (const c of ['00010.png', '0001_rlt.png', '0001x.png', '0002.png', 'x0001.png', '0001_outx4.png']) expect(matchesHr('0001.png', c), c).toBe(false);
  });

  it('pairs each HR file with its one partner, in HR order', () => {
    expect(pairByName(['a.png', 'b.png'], ['b_out.png', 'ax4.png', 'c.png'], 'sr')).toEqual([
      { hr: 'a.png', other: 'ax4.png' },
      { hr: 'b.png', other: 'b_out.png' },
    ]);
  });

  it('names the unmatched and the ambiguous files', () => {
    expect(() => pairByName(['a.png', 'b.png'], ['a.png'], 'out/')).toThrow(/no partner in out\/ for b\.png/);
    expect(() => pairByName(['a.png'], ['a.png', 'a_out.png'], 'out/')).toThrow(/a\.png matches several files in out\/: a\.png, a_out\.png/);
  });
});

describe('size matching', () => {
  it('crops the larger image when sides differ by fewer than `scale` pixels', () => {
    const r = matchSizes(blank(22, 19), blank(20, 20), 4, { sr: 'sr', hr: 'hr' });
    expect([r.sr.width, r.sr.height, r.hr.width, r.hr.height, r.cropped]).toEqual([20, 19, 20, 19, true]);
    expect(matchSizes(blank(8, 8), blank(8, 8), 4, { sr: 'sr', hr: 'hr' }).cropped).toBe(false);
  });

  it('refuses larger differences, naming both files', () => {
    expect(() => matchSizes(blank(24, 20), blank(20, 20), 4, { sr: 'out/a.png', hr: 'hr/a.png' })).toThrow(/out\/a\.png is 24×20 but hr\/a\.png is 20×20/);
  });

  it('mod-crop keeps the top-left multiple of the scale', () => {
    const img = blank(23, 18);
    img.data.forEach((_, i) => (img.data[i] = i % 251));
    const m = modCrop(img, 4);
    expect([m.width, m.height]).toEqual([20, 16]);
    expect(m.data[(1 * 20 + 3) * 3]).toBe(img.data[(1 * 23 + 3) * 3]);
  });
});
