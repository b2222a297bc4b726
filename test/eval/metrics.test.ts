import { describe, expect, it } from 'vitest';
import { basicsrY, gaussianKernel, lumaPlane, psnr, scorePair, ssim } from '../../src/eval/index.js';
import type { Image } from '../../src/image/types.js';
import { directPlane, directPsnr, directSsim, noisyPair } from './direct.js';

const rgb = (width: number, height: number, data: Uint8Array): Image => ({ width, height, channels: 3, bitDepth: 8, data });

describe('BasicSR Y channel', () => {
  it('spans 16..235 for black and white (|Δ| ≤ 2e-5: float32 steps as in BasicSR)', () => {
    expect(Math.abs(basicsrY(0, 0, 0) - 16)).toBeLessThanOrEqual(2e-5);
    expect(Math.abs(basicsrY(255, 255, 255) - 235)).toBeLessThanOrEqual(2e-5);
  });

  it('is a float32 value, not rounded to an integer (BasicSR keeps the fraction)', () => {
    const y = basicsrY(200, 100, 50);
    expect(Math.fround(y)).toBe(y);
    // 16 + (65.481·200 + 128.553·100 + 24.966·50)/255, to float32 precision.
    const exact = 16 + (65.481 * 200 + 128.553 * 100 + 24.966 * 50) / 255;
    expect(Math.abs(y - exact)).toBeLessThanOrEqual(1e-5 * exact);
    expect(y % 1).not.toBe(0);
  });

  it('uses gray values as they are for gray images, and Y of R=G=B when asked', () => {
    const gray: Image = { width: 2, height: 1, channels: 2, bitDepth: 8, data: new Uint8Array([0, 9, 255, 9]) };
    expect(Array.from(lumaPlane(gray).data)).toEqual([0, 255]);
    expect(Array.from(lumaPlane(gray, true).data)).toEqual([basicsrY(0, 0, 0), basicsrY(255, 255, 255)]);
  });
});

describe('PSNR and SSIM', () => {
  it('identical images: PSNR is Infinity and SSIM exactly 1', () => {
    const { noisy } = noisyPair(40, 31, 30, 1);
    const s = scorePair(rgb(40, 31, noisy), rgb(40, 31, noisy.slice()), 4);
    expect(s.psnr).toBe(Infinity);
    expect(s.ssim).toBe(1);
  });

  it('the Gaussian window is cv2.getGaussianKernel(11, 1.5): symmetric, sums to 1 (|Δ| ≤ 1e-15)', () => {
    const k = gaussianKernel();
    expect(k.length).toBe(11);
    expect(Math.abs(k.reduce((a, b) => a + b, 0) - 1)).toBeLessThanOrEqual(1e-15);
    for (let i = 0; i < 5; i++) expect(k[i]).toBe(k[10 - i]);
    // exp(-25/4.5) relative to the centre, as the formula says.
    expect(Math.abs(k[0]! / k[5]! - Math.exp(-25 / 4.5))).toBeLessThanOrEqual(1e-15);
  });

  for (const [w, h, amp, border] of [
    [29, 23, 12, 4],
    [24, 30, 40, 2],
    [17, 17, 3, 0],
  ] as const) {
    it(`noisy ${w}×${h} (±${amp}) with border ${border} matches a direct computation (|Δ| ≤ 1e-9 PSNR and SSIM)`, () => {
      const { clean, noisy } = noisyPair(w, h, amp, w * h);
      const got = scorePair(rgb(w, h, noisy), rgb(w, h, clean), border);
      const a = directPlane(noisy, w, h, border);
      const b = directPlane(clean, w, h, border);
      const wantPsnr = directPsnr(a, b);
      const wantSsim = directSsim(a, b);
      expect(Math.abs(got.psnr - wantPsnr)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.ssim - wantSsim)).toBeLessThanOrEqual(1e-9);
      // Sanity: noise of this size gives a finite PSNR and SSIM strictly below 1.
      expect(Number.isFinite(got.psnr)).toBe(true);
      expect(got.ssim).toBeLessThan(1);
    });
  }

  it('PSNR of a constant offset of 1 level in Y is 10·log10(255²) exactly (gray planes)', () => {
    const a = { width: 12, height: 12, data: new Float64Array(144).fill(100) };
    const b = { width: 12, height: 12, data: new Float64Array(144).fill(101) };
    expect(psnr(a, b)).toBeCloseTo(20 * Math.log10(255), 12);
    // SSIM of a constant shift: only the luminance term, (2·100·101 + C1)/(100² + 101² + C1).
    const c1 = (0.01 * 255) ** 2;
    expect(Math.abs(ssim(a, b) - (2 * 100 * 101 + c1) / (100 * 100 + 101 * 101 + c1))).toBeLessThanOrEqual(1e-12);
  });

  it('refuses sizes that differ and planes smaller than the SSIM window, with a clear message', () => {
    const { clean } = noisyPair(20, 20, 0, 1);
    expect(() => scorePair(rgb(20, 20, clean), rgb(10, 40, clean), 0)).toThrow(/SR image is 20×20 but HR image is 10×40/);
    expect(() => scorePair(rgb(20, 20, clean), rgb(20, 20, clean), 5)).toThrow(/HR image is 20×20: after cropping 5 pixels per side it is smaller than SSIM's 11×11 window/);
    const tiny = { width: 10, height: 30, data: new Float64Array(300) };
    expect(() => ssim(tiny, tiny)).toThrow(/10×30 \(after the border crop\) is smaller than SSIM's 11×11 window/);
  });
});
