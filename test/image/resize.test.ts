import { describe, expect, it } from 'vitest';
import { lanczosAxis, linearAxis, resizeLanczos } from '../../src/image/resize.js';
import { expectClose } from '../helpers/compare.js';
import { makeImage } from './images.js';

/** OpenCV's interpolateLanczos4 (imgproc/src/resize.cpp), transcribed: 8 weights for fraction x. */
function cv2Lanczos4(x: number): number[] {
  if (x < 1.1920929e-7) return [0, 0, 0, 1, 0, 0, 0, 0];
  const s45 = Math.SQRT1_2;
  const cs = [[1, 0], [-s45, -s45], [0, 1], [s45, -s45], [-1, 0], [s45, s45], [0, -1], [-s45, s45]];
  const y0 = -(x + 3) * Math.PI * 0.25;
  const s0 = Math.sin(y0);
  const c0 = Math.cos(y0);
  const coeffs = cs.map(([a, b], i) => {
    const y = -(x + 3 - i) * Math.PI * 0.25;
    return Math.fround((a! * s0 + b! * c0) / (y * y));
  });
  const sum = coeffs.reduce((p, q) => p + q, 0);
  return coeffs.map((c) => c / sum);
}

describe('Lanczos-4 resize', () => {
  it("enlarging uses cv2 INTER_LANCZOS4's taps and weights (|Δw| ≤ 1e-6: cv2 stores them in float32)", () => {
    for (const [src, dst] of [[10, 25], [7, 8], [31, 124]]) {
      const axis = lanczosAxis(src, dst);
      expect(axis.taps).toBe(8);
      for (let d = 0; d < dst; d++) {
        const fx = Math.fround((d + 0.5) * (src / dst) - 0.5);
        const sx = Math.floor(fx);
        const want = cv2Lanczos4(Math.fround(fx - sx));
        const index = Array.from(axis.index.subarray(d * 8, d * 8 + 8));
        expect(index).toEqual(want.map((_, k) => Math.min(Math.max(sx - 3 + k, 0), src - 1)));
        expectClose(axis.weight.subarray(d * 8, d * 8 + 8), want, 1e-6, 0, `weights of output ${d}`);
      }
    }
  });

  it('keeps a constant image exactly constant, enlarging and shrinking', () => {
    for (const [w, h, dw, dh] of [[17, 9, 40, 23], [40, 23, 17, 9], [5, 5, 1, 1]]) {
      const out = resizeLanczos(makeImage(w, h, 3, 16, () => 51234), dw, dh);
      expect([out.width, out.height, out.bitDepth]).toEqual([dw, dh, 16]);
      expect(new Set(out.data)).toEqual(new Set([51234]));
    }
  });

  it('keeps a linear ramp linear away from the borders (|Δ| ≤ 0.5 + 0.02·slope: rounding plus Lanczos ripple)', () => {
    const slope = 500;
    for (const [src, dst] of [[40, 100], [40, 57], [100, 40], [90, 30], [64, 48]]) {
      const out = resizeLanczos(makeImage(src, 2, 1, 16, (x) => 1000 + slope * x), dst, 2);
      const ratio = src / dst;
      const margin = 4 * Math.max(1, ratio) + 1; // the kernel's reach, in source pixels
      const got: number[] = [];
      const want: number[] = [];
      for (let x = 0; x < dst; x++) {
        const c = (x + 0.5) * ratio - 0.5;
        if (c < margin || c > src - 1 - margin) continue;
        got.push(out.data[x]!);
        want.push(1000 + slope * c);
      }
      expect(got.length).toBeGreaterThan(5);
      expectClose(got, want, 0.5 + 0.02 * slope, 0, `${src}→${dst}`);
    }
  });

  it('antialiases when shrinking: 1-pixel stripes shrunk 3× become flat gray (cv2 would keep stripes)', () => {
    const out = resizeLanczos(makeImage(90, 1, 1, 8, (x) => (x % 2) * 255), 30, 1);
    const inner = Array.from(out.data.subarray(3, 27));
    // |v − 127.5| ≤ 2 away from the borders (measured: ≤ 0.5).
    expectClose(inner, inner.map(() => 127.5), 2, 0, 'shrunk stripes');
  });

  it('rounds and clamps overshoot at a hard edge to the sample range', () => {
    const out = resizeLanczos(makeImage(8, 1, 1, 8, (x) => (x < 4 ? 0 : 255)), 37, 1);
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBe(255);
  });
});

describe('bilinear axis (cv2 INTER_LINEAR)', () => {
  it('maps ×4 like cv2: edge pixels pinned horizontally, rows clamped vertically', () => {
    const h = linearAxis(2, 8, true);
    expect(Array.from(h.index0)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(h.weight1)).toEqual([0, 0, 0.125, 0.375, 0.625, 0.875, 0, 0]);
    const v = linearAxis(2, 8, false);
    expect(Array.from(v.index0)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(v.index1)).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(v.weight1)).toEqual([0.625, 0.875, 0.125, 0.375, 0.625, 0.875, 0.125, 0.375]);
  });
});
