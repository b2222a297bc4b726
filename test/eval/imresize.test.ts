import { describe, expect, it } from 'vitest';
import { cubic, imresize, imresizeFloat, resizeAxis, toUint8 } from '../../src/eval/index.js';
import type { Image } from '../../src/image/types.js';

/*
 * Hand derivation for scale 1/2 (MATLAB imresize, bicubic, antialiased):
 *   kernel width 4/0.5 = 8, taps ceil(8)+2 = 10; output x (1-based) samples u = x/0.5 + 0.5·(1−2) = 2x − 0.5.
 *   x = 3: u = 5.5, left = floor(5.5 − 4) = 1, sources 1..10 at distances 4.5, 3.5, …, −4.5.
 *   weight = 0.5·cubic(0.5·d): cubic(2.25) = 0, cubic(1.75) = −0.0234375, cubic(1.25) = −0.0703125,
 *   cubic(0.75) = 0.2265625, cubic(0.25) = 0.8671875; they sum to 2, so ×0.5 already sums to 1.
 */
const HALF_WEIGHTS = [0, -0.01171875, -0.03515625, 0.11328125, 0.43359375, 0.43359375, 0.11328125, -0.03515625, -0.01171875, 0];

function gray(width: number, height: number, f: (x: number, y: number) => number): Image {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, channels: 1, bitDepth: 8, data };
}

describe('MATLAB bicubic imresize', () => {
  it('cubic is Keys a = −0.5 (values derived by hand)', () => {
    expect([0, 0.25, 0.75, 1, 1.25, 1.75, 2, 2.5].map(cubic)).toEqual([1, 0.8671875, 0.2265625, 0, -0.0703125, -0.0234375, 0, 0]);
    expect(cubic(-0.75)).toBe(cubic(0.75));
  });

  it('scale 1/2: the weights of output pixel 3 are the hand-derived ones (exact: dyadic numbers)', () => {
    const axis = resizeAxis(16, 8, 0.5);
    expect(axis.taps).toBe(10);
    expect(Array.from(axis.weight.subarray(2 * 10, 3 * 10))).toEqual(HALF_WEIGHTS);
    expect(Array.from(axis.index.subarray(2 * 10, 3 * 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("scale 1/2 at the first output pixel mirrors with the edge repeated ('symmetric')", () => {
    // x = 1: u = 1.5, left = −3; 1-based sources −3..6 mirror to 4,3,2,1,1,2,3,4,5,6.
    const axis = resizeAxis(16, 8, 0.5);
    expect(Array.from(axis.index.subarray(0, 10))).toEqual([3, 2, 1, 0, 0, 1, 2, 3, 4, 5]);
    expect(Array.from(axis.weight.subarray(0, 10))).toEqual(HALF_WEIGHTS);
  });

  it('scale 1/2 of a row v = j² gives the hand-computed values 0.30078125 (edge) and 20.25 (pixel 3), |Δ| ≤ 1e-12', () => {
    // Two identical rows so the vertical pass is the identity; values j² for j = 0..15.
    const width = 16;
    const data = new Float64Array(width * 2);
    for (let j = 0; j < width; j++) data[j] = data[width + j] = j * j;
    const out = imresizeFloat({ width, height: 2, channels: 1, data }, 0.5);
    expect([out.width, out.height]).toEqual([8, 1]);
    // Σ w·v at sources 3,2,1,0,0,1,2,3,4,5 = 0.30078125; at 0..9 = 20.25 = 4.5² (the kernel keeps quadratics here).
    expect(Math.abs(out.data[0]! - 0.30078125)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(out.data[2]! - 20.25)).toBeLessThanOrEqual(1e-12);
  });

  it('a constant image stays constant at 1/2, 1/3, 1/4 and ×2, ×4 (float |Δ| ≤ 1e-12; uint8 exact)', () => {
    const img = gray(23, 17, () => 173);
    for (const scale of [1 / 2, 1 / 3, 1 / 4, 2, 4]) {
      const f = imresizeFloat({ width: 23, height: 17, channels: 1, data: Float64Array.from(img.data) }, scale);
      expect([f.width, f.height]).toEqual([Math.ceil(23 * scale), Math.ceil(17 * scale)]);
      for (const v of f.data) expect(Math.abs(v - 173)).toBeLessThanOrEqual(1e-12);
      expect(imresize(img, scale).data.every((v) => v === 173)).toBe(true);
    }
  });

  it('2× downscale of a linear ramp is the ramp at the sample centres u = 2x − 0.5 away from the borders (|Δ| ≤ 1e-12)', () => {
    // Column value = 1-based position (1..40); interior outputs only (the kernel reaches 4.5 pixels).
    const width = 40;
    const data = new Float64Array(width * 3);
    for (let y = 0; y < 3; y++) for (let x = 0; x < width; x++) data[y * width + x] = x + 1;
    const out = imresizeFloat({ width, height: 3, channels: 1, data }, 0.5);
    expect(out.width).toBe(20);
    for (let o = 3; o <= 18; o++) expect(Math.abs(out.data[o - 1]! - (2 * o - 0.5))).toBeLessThanOrEqual(1e-12);
    // At the border the mirror bends the ramp: sources 4,3,2,1,1,2,3,4,5,6 under HALF_WEIGHTS give
    // 1.44921875 (by hand), not u = 1.5.
    expect(Math.abs(out.data[0]! - 1.44921875)).toBeLessThanOrEqual(1e-12);
  });

  it('rows and channels are independent: an RGB image resizes each channel like a gray one (exact)', () => {
    const r = gray(13, 11, (x, y) => (x * 19 + y * 7) % 256);
    const g = gray(13, 11, (x, y) => (x * x + 3 * y) % 256);
    const b = gray(13, 11, (x) => (255 - x * 11) & 255);
    const data = new Uint8Array(13 * 11 * 3);
    for (let i = 0; i < 13 * 11; i++) [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]] = [r.data[i]!, g.data[i]!, b.data[i]!];
    const out = imresize({ width: 13, height: 11, channels: 3, bitDepth: 8, data }, 1 / 3);
    const planes = [r, g, b].map((p) => imresize(p, 1 / 3));
    expect([out.width, out.height]).toEqual([5, 4]);
    for (let i = 0; i < 20; i++) for (let c = 0; c < 3; c++) expect(out.data[i * 3 + c]).toBe(planes[c]!.data[i]);
  });

  it("uint8 rounding is MATLAB's: half away from zero, saturating", () => {
    expect([-3, 0.4999, 0.5, 1.5, 2.5, 254.5, 300].map(toUint8)).toEqual([0, 0, 1, 2, 3, 255, 255]);
  });

  it('refuses 16-bit images and non-positive scales with a clear error', () => {
    const img: Image = { width: 4, height: 4, channels: 1, bitDepth: 16, data: new Uint16Array(16) };
    expect(() => imresize(img, 0.5)).toThrow(/8-bit/);
    expect(() => imresize(gray(4, 4, () => 0), 0)).toThrow(/positive/);
  });
});
