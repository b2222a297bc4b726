/**
 * Independent, deliberately plain PSNR/SSIM for the tests: BasicSR's formulas written out
 * directly (double loop for the MSE, full 11×11 windowed sums for SSIM, no separable filtering,
 * no shared code with src/eval).
 */
import { rng } from '../helpers/synthetic.js';

/** BasicSR to_y_channel on one RGB sample: float32 /255, float64 dot + 16, float32 /255, float32 ×255. */
export function directY(r: number, g: number, b: number): number {
  const f = (v: number) => Math.fround(v / 255);
  const y = 16 + (f(b) * 24.966 + f(g) * 128.553 + f(r) * 65.481);
  return Math.fround(Math.fround(y / 255) * 255);
}

/** Y plane as rows of numbers, `border` pixels cropped on every side. */
export function directPlane(rgb: Uint8Array, width: number, height: number, border: number): number[][] {
  const rows: number[][] = [];
  for (let y = border; y < height - border; y++) {
    const row: number[] = [];
    for (let x = border; x < width - border; x++) {
      const p = (y * width + x) * 3;
      row.push(directY(rgb[p]!, rgb[p + 1]!, rgb[p + 2]!));
    }
    rows.push(row);
  }
  return rows;
}

export function directPsnr(a: number[][], b: number[][]): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < a.length; y++) {
    for (let x = 0; x < a[y]!.length; x++) {
      sum += (a[y]![x]! - b[y]![x]!) ** 2;
      n++;
    }
  }
  return 10 * Math.log10((255 * 255) / (sum / n));
}

export function directSsim(a: number[][], b: number[][]): number {
  // 2-D Gaussian window, 11×11, σ 1.5, normalised over all 121 weights.
  const win: number[][] = [];
  let total = 0;
  for (let i = 0; i < 11; i++) {
    win.push([]);
    for (let j = 0; j < 11; j++) {
      const w = Math.exp(-((i - 5) ** 2 + (j - 5) ** 2) / (2 * 1.5 * 1.5));
      win[i]!.push(w);
      total += w;
    }
  }
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let count = 0;
  for (let y = 0; y + 11 <= a.length; y++) {
    for (let x = 0; x + 11 <= a[0]!.length; x++) {
      let m1 = 0, m2 = 0, e11 = 0, e22 = 0, e12 = 0;
      for (let i = 0; i < 11; i++) {
        for (let j = 0; j < 11; j++) {
          const w = win[i]![j]! / total;
          const p = a[y + i]![x + j]!;
          const q = b[y + i]![x + j]!;
          m1 += w * p;
          m2 += w * q;
          e11 += w * p * p;
          e22 += w * q * q;
          e12 += w * p * q;
        }
      }
      const v1 = e11 - m1 * m1;
      const v2 = e22 - m2 * m2;
      const v12 = e12 - m1 * m2;
      sum += ((2 * m1 * m2 + c1) * (2 * v12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
      count++;
    }
  }
  return sum / count;
}

/** A smooth RGB test pattern plus a noisy copy (±`amp` levels, clipped). */
export function noisyPair(width: number, height: number, amp: number, seed: number): { clean: Uint8Array; noisy: Uint8Array } {
  const rand = rng(seed);
  const clean = new Uint8Array(width * height * 3);
  const noisy = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        clean[i] = Math.round(127.5 + 100 * Math.sin(0.21 * x + 0.13 * y + 2 * c));
        noisy[i] = Math.min(255, Math.max(0, clean[i]! + Math.round((rand() * 2 - 1) * amp)));
      }
    }
  }
  return { clean, noisy };
}
