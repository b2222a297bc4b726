import { describe, expect, it } from 'vitest';
import { planar } from '../../src/train/data/planar.js';
import { filter2d, reflectIndex, trimKernel } from '../../src/train/degrade/filter.js';
import { bivariateKernel, pulseKernel } from '../../src/train/degrade/kernels.js';
import { axisTaps, resizePlanar } from '../../src/train/degrade/resize.js';
import { sincKernel } from '../../src/train/degrade/sinc.js';
import type { BlurKernelType } from '../../src/train/degrade/params.js';
import { kernelOf } from '../../src/train/degrade/random-kernel.js';
import { expectClose } from '../helpers/compare.js';
import { reference, referenceImage } from './reference.js';

// float32 sums of up to 441 products of values ≤ 1 (PyTorch's order differs from ours): 2e−6.
const ATOL = 2e-6;

describe("filter2d (BasicSR's filter2D: reflect padding, correlation)", () => {
  it('equals BasicSR + PyTorch on a 3×11×13 image with a 15×15 anisotropic and a 21×21 sinc kernel', () => {
    const ref = reference();
    for (const f of ref.filters) {
      const k = ref.kernels[f.kernel]!;
      const kernel = k.kind === 'sinc' ? sincKernel(k.cutoff, k.size) : kernelOf({ ...k, kind: k.kind as BlurKernelType });
      expectClose(filter2d(referenceImage(), kernel).data, f.output, ATOL, 0, `${k.kind} ${k.size}`);
    }
  });

  it('the separable path equals the 2-D one, and the pulse changes nothing', () => {
    const image = referenceImage();
    const iso = bivariateKernel('gaussian', { size: 9, sigmaX: 1.3, sigmaY: 1.3, theta: 0, beta: 1, isotropic: true });
    expectClose(filter2d(image, iso).data, filter2d(image, { size: 9, data: iso.data }).data, 1e-6, 0);
    expect(filter2d(image, pulseKernel(7)).data).toEqual(image.data);
  });

  it('drops only negligible outer rings of a kernel (the output moves by < 1e−7)', () => {
    const narrow = bivariateKernel('gaussian', { size: 21, sigmaX: 0.5, sigmaY: 0.5, theta: 0, beta: 1, isotropic: true });
    const trimmed = trimKernel(narrow);
    expect(trimmed.size).toBe(7);
    expect(trimmed.separable).toHaveLength(7);
    // Against the plain 21 × 21 correlation, every tap included (float64).
    const image = referenceImage();
    const { channels, height: h, width: w } = image;
    const full = new Float64Array(image.data.length);
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let i = 0; i < 21; i++)
            for (let j = 0; j < 21; j++) full[(c * h + y) * w + x] += narrow.data[i * 21 + j]! * image.data[(c * h + reflectIndex(y + i - 10, h)) * w + reflectIndex(x + j - 10, w)]!;
    expectClose(filter2d(image, narrow).data, full, 1e-7, 0);
    const wide = sincKernel(Math.PI / 5, 21); // ripples reach the edge: nothing to drop
    expect(trimKernel(wide)).toBe(wide);
    expect(trimKernel(pulseKernel(9)).size).toBe(1);
  });

  it('reflects without repeating the edge, and keeps reflecting past a tiny image', () => {
    expect([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflectIndex(i, 5))).toEqual([3, 2, 1, 0, 4, 3, 2, 1]);
    expect([-4, 3, 6].map((i) => reflectIndex(i, 3))).toEqual([0, 1, 2]);
    expect(reflectIndex(5, 1)).toBe(0);
    // A 21-tap kernel on a 4×4 image (PyTorch would refuse the padding): finite, still sums to 1.
    const tiny = planar(1, 4, 4, Float32Array.from({ length: 16 }, () => 0.25));
    expectClose(filter2d(tiny, sincKernel(1, 21)).data, tiny.data, 1e-6, 0);
  });
});

describe('resize (PyTorch F.interpolate, align_corners=False, no antialias)', () => {
  it('equals PyTorch for area, bilinear and bicubic, by scale factor and by size, up and down', () => {
    for (const r of reference().resizes) {
      const out = resizePlanar(referenceImage(), { mode: r.mode, height: r.height, width: r.width, scale: r.scale });
      expect([out.height, out.width]).toEqual([r.height, r.width]);
      expectClose(out.data, r.output, ATOL, 0, `${r.mode} ${r.scale ?? `${r.height}×${r.width}`}`);
    }
  });

  it("every output's weights sum to 1 (interpolation keeps a flat image flat)", () => {
    for (const mode of ['area', 'bilinear', 'bicubic'] as const) {
      for (const [n, m] of [
        [17, 5],
        [5, 17],
        [12, 12],
        [7, 1],
      ] as const) {
        const t = axisTaps(mode, n, m);
        for (let o = 0; o < m; o++) expect(t.weight.subarray(o * t.taps, (o + 1) * t.taps).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        expect(Math.max(...t.index)).toBeLessThan(n);
        expect(Math.min(...t.index)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('refuses a resize to nothing, naming the sizes', () => {
    expect(() => resizePlanar(referenceImage(), { mode: 'area', height: 0, width: 3 })).toThrow(/13×11 to 3×0 leaves no pixels/);
  });
});
