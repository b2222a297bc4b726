import { describe, expect, it } from 'vitest';
import { bivariateKernel, inverseCovariance, type KernelShape } from '../../src/train/degrade/kernels.js';
import { kernelOf } from '../../src/train/degrade/random-kernel.js';
import { besselJ1, sincKernel } from '../../src/train/degrade/sinc.js';
import type { BlurKernelType } from '../../src/train/degrade/params.js';
import { expectClose } from '../helpers/compare.js';
import { reference } from './reference.js';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

/** Second moments of a kernel about its centre: [E xx, E xy, E yy]. */
function moments(data: Float64Array, size: number): [number, number, number] {
  const r = (size - 1) / 2;
  let xx = 0;
  let xy = 0;
  let yy = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const w = data[i * size + j]!;
      xx += w * (j - r) ** 2;
      xy += w * (j - r) * (i - r);
      yy += w * (i - r) ** 2;
    }
  }
  return [xx, xy, yy];
}

describe('blur kernels', () => {
  it("equal BasicSR's kernels (float64: |Δ| ≤ 1e−12 + 1e−8·|ref|; the reference is stored to 9 digits)", () => {
    for (const k of reference().kernels) {
      const ours = k.kind === 'sinc' ? sincKernel(k.cutoff, k.size) : kernelOf({ kind: k.kind as BlurKernelType, size: k.size, sigmaX: k.sigmaX, sigmaY: k.sigmaY, theta: k.theta, beta: k.beta });
      expectClose(ours.data, k.data, 1e-12, 1e-8, `${k.kind} ${k.size}`);
      expect(sum(ours.data)).toBeCloseTo(1, 12);
    }
  });

  it('a Gaussian has the covariance Σ = U·diag(σx², σy²)·Uᵀ (sampled on the grid: within 1e−6 for σ ≥ 0.8)', () => {
    for (const [sx, sy, theta] of [
      [2, 2, 0],
      [2.5, 0.8, 0.6],
      [1.1, 3, -2.2],
    ] as const) {
      const k = bivariateKernel('gaussian', { size: 41, sigmaX: sx, sigmaY: sy, theta, beta: 1, isotropic: sx === sy });
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const want = [c * c * sx * sx + s * s * sy * sy, c * s * (sx * sx - sy * sy), s * s * sx * sx + c * c * sy * sy];
      expectClose(moments(k.data, 41), want, 1e-6, 1e-6, `Σ of (${sx}, ${sy}, ${theta})`);
    }
  });

  it('Σ⁻¹ inverts Σ', () => {
    const [a, b, c] = inverseCovariance({ sigmaX: 1.7, sigmaY: 0.6, theta: 1.2, isotropic: false });
    const [co, si] = [Math.cos(1.2), Math.sin(1.2)];
    const S = [co * co * 1.7 ** 2 + si * si * 0.6 ** 2, co * si * (1.7 ** 2 - 0.6 ** 2), si * si * 1.7 ** 2 + co * co * 0.6 ** 2];
    expectClose([a * S[0]! + b * S[1]!, a * S[1]! + b * S[2]!, b * S[1]! + c * S[2]!], [1, 0, 1], 1e-12, 0);
  });

  it('the isotropic Gaussian is f ⊗ f, and the other kinds are point-symmetric', () => {
    const iso = bivariateKernel('gaussian', { size: 13, sigmaX: 1.4, sigmaY: 1.4, theta: 0, beta: 1, isotropic: true });
    const f = iso.separable!;
    expectClose(Float64Array.from({ length: 169 }, (_, i) => f[Math.floor(i / 13)]! * f[i % 13]!), iso.data, 1e-15, 1e-12);
    for (const shape of ['gaussian', 'generalized', 'plateau'] as KernelShape[]) {
      const k = bivariateKernel(shape, { size: 11, sigmaX: 2.1, sigmaY: 0.7, theta: 0.9, beta: 1.7, isotropic: false });
      expect(k.separable).toBeUndefined();
      expectClose(k.data, [...k.data].reverse(), 1e-15, 1e-12, shape); // k(−v) = k(v)
    }
  });

  it('generalized with β = 1 is the Gaussian; plateau falls as 1/(1 + q^β)', () => {
    const p = { size: 9, sigmaX: 1.5, sigmaY: 0.9, theta: 0.3, beta: 1, isotropic: false };
    expectClose(bivariateKernel('generalized', p).data, bivariateKernel('gaussian', p).data, 1e-15, 1e-12);
    const plateau = bivariateKernel('plateau', { ...p, beta: 2, isotropic: true });
    // On the axis q = x²/σ²: k(x)/k(0) = 1/(1 + (x²/σ²)²).
    expect(plateau.data[4 * 9 + 6]! / plateau.data[4 * 9 + 4]!).toBeCloseTo(1 / (1 + (4 / 2.25) ** 2), 12);
  });
});

describe('sinc kernel', () => {
  it('J₁ matches its tabulated values (|Δ| ≤ 1e−12)', () => {
    // scipy.special.j1 (Cephes) at these points.
    const table: [number, number][] = [
      [0, 0],
      [1, 0.44005058574493355],
      [2.5, 0.497094102464274],
      [3.8317059702075125, 0], // the first zero
      [10, 0.04347274616886141],
      [30.5, -0.14349430015097098],
      [44, -0.08280335937602906],
    ];
    for (const [x, j] of table) expect(Math.abs(besselJ1(x) - j)).toBeLessThan(1e-12);
  });

  it('is radially symmetric, sums to 1, and passes frequencies below its cut-off', () => {
    const size = 21;
    const cutoff = Math.PI / 3;
    const k = sincKernel(cutoff, size);
    expect(sum(k.data)).toBeCloseTo(1, 12);
    const at = (i: number, j: number) => k.data[i * size + j]!;
    expect(at(10, 3)).toBeCloseTo(at(3, 10), 15);
    expect(at(10, 3)).toBeCloseTo(at(17, 10), 15);
    // The frequency response H(ω, 0) = Σ k·cos(ω·x): near 1 well inside the pass band, near 0
    // well outside (a 21-tap truncation leaves ripples of a few per cent).
    const response = (w: number) => {
      let h = 0;
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) h += at(i, j) * Math.cos(w * (j - 10));
      return h;
    };
    expect(Math.abs(response(cutoff / 3) - 1)).toBeLessThan(0.05);
    expect(Math.abs(response(Math.min(Math.PI, cutoff * 2)))).toBeLessThan(0.05);
    // Ringing: the kernel has negative lobes, the source of overshoot.
    expect(Math.min(...k.data)).toBeLessThan(0);
  });
});
