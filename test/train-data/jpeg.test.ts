import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read.js';
import { jpegRoundTrip } from '../../src/io/jpeg-roundtrip.js';
import { imageToPlanar } from '../../src/train/data/planar.js';
import { compressJpeg } from '../../src/train/degrade/jpeg.js';
import { jpegLossyCodec, jpegLossyRoundTrip, quantTable } from '../../src/train/degrade/jpeg-lossy.js';
import { FIXTURES } from './reference.js';

const LUMA_BASE = [16, 11, 10, 16, 24, 40, 51, 61];

/** Largest and mean |a − b| over two byte arrays. */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

const input = () => readImage(resolve(FIXTURES, 'jpeg/input.png')); // a 37×45 crop of a photo (odd sizes)

describe('JPEG round trip (the lossy steps of libjpeg)', () => {
  it('scales the IJG tables by quality as libjpeg does', () => {
    expect([...quantTable(LUMA_BASE, 50)]).toEqual(LUMA_BASE); // scale 100 %
    expect([...quantTable(LUMA_BASE, 100)]).toEqual(new Array(8).fill(1));
    expect([...quantTable(LUMA_BASE, 10)]).toEqual([80, 55, 50, 80, 120, 200, 255, 255]); // 500 %, clamped at 255
    expect([...quantTable(LUMA_BASE, 75)]).toEqual([8, 6, 5, 8, 12, 20, 26, 31]); // 50 %, (b·50 + 50)/100 floored
  });

  it("agrees with OpenCV's libjpeg encode → decode (4:2:0) within a few levels", async () => {
    // Our DCTs are exact, libjpeg's islow ones 13-bit fixed point: the difference grows as the
    // quantisation steps shrink. Budgets per quality: max |Δ| and mean |Δ| (levels of 255).
    const budget: Record<number, [number, number]> = { 10: [1, 0.02], 30: [2, 0.05], 60: [4, 0.2], 95: [6, 0.8] };
    const image = await input();
    for (const [q, [max, mean]] of Object.entries(budget)) {
      const opencv = await readImage(resolve(FIXTURES, `jpeg/opencv_q${q}.png`));
      const ours = jpegLossyRoundTrip(image.data as Uint8Array, image.width, image.height, Number(q));
      const d = difference(ours, opencv.data);
      expect(d.max, `q${q} max`).toBeLessThanOrEqual(max);
      expect(d.mean, `q${q} mean`).toBeLessThanOrEqual(mean);
    }
  });

  it('in 4:4:4 agrees with jpeg-js encode → decode within a few levels', async () => {
    const image = await input();
    for (const q of [20, 50, 90]) {
      const d = difference(jpegLossyRoundTrip(image.data as Uint8Array, image.width, image.height, q, '4:4:4'), jpegRoundTrip(image.data as Uint8Array, image.width, image.height, q));
      expect(d.max, `q${q}`).toBeLessThanOrEqual(4);
      expect(d.mean, `q${q}`).toBeLessThanOrEqual(0.7);
    }
  });

  it('loses less as the quality rises (mean error strictly decreasing over q = 10, 20, …, 100)', async () => {
    const image = await input();
    const errors = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((q) => difference(jpegLossyCodec(image.data as Uint8Array, image.width, image.height, q), image.data).mean);
    for (let i = 1; i < errors.length; i++) expect(errors[i]!, `q${(i + 1) * 10} vs q${i * 10}`).toBeLessThan(errors[i - 1]!);
    // At q100 (all steps 1) only rounding is left in 4:4:4; 4:2:0 keeps its halved chroma (this
    // crop is saturated fine texture: ~10 levels, as OpenCV's own q95 output shows).
    const q100 = jpegLossyRoundTrip(image.data as Uint8Array, image.width, image.height, 100, '4:4:4');
    expect(difference(q100, image.data).mean).toBeLessThan(0.3);
  });

  it('compressJpeg rounds the quality, keeps the size and returns values on the 8-bit grid', async () => {
    const planes = imageToPlanar(await input());
    const seen: number[] = [];
    const out = await compressJpeg(planes, 42.6, (rgb, w, h, q) => (seen.push(q), jpegLossyCodec(rgb, w, h, q)));
    expect(seen).toEqual([43]);
    expect([out.channels, out.height, out.width]).toEqual([3, 45, 37]);
    expect(out.data.every((v) => Number.isInteger(Math.round(v * 255 * 1e4) / 1e4))).toBe(true);
    await expect(compressJpeg(planes, 50, () => new Uint8Array(3))).rejects.toThrow(/returned 3 bytes/);
  });
});
