/**
 * Blur kernels of Real-ESRGAN's degradation model, as BasicSR's basicsr/data/degradations.py
 * defines them: on the integer grid −r…r (size = 2r + 1), with the quadratic form
 * q(x, y) = [x y] Σ⁻¹ [x y]ᵀ of the rotated covariance Σ = U·diag(σx², σy²)·Uᵀ
 * (U the rotation by θ; the isotropic kinds use Σ = σ²·I):
 *   gaussian     exp(−q/2)
 *   generalized  exp(−q^β/2)      (β = 1 is the Gaussian)
 *   plateau      1 / (1 + q^β)
 * each normalised to sum to 1. Every kernel is point-symmetric (k(−v) = k(v)), so correlating
 * with it (what PyTorch's conv2d does) is the same as convolving.
 */
export interface BlurKernel {
  /** Side length, odd. */
  readonly size: number;
  /** size × size weights, row-major (row = y), summing to 1. */
  readonly data: Float64Array;
  /**
   * When the kernel is an outer product f ⊗ f (the isotropic Gaussian), f: filtering is then
   * two 1-D passes of `size` taps instead of one of size² (same result up to rounding).
   */
  readonly separable?: Float64Array;
}

export type KernelShape = 'gaussian' | 'generalized' | 'plateau';

export interface KernelParams {
  size: number;
  sigmaX: number;
  /** Ignored when isotropic. */
  sigmaY: number;
  /** Radians; ignored when isotropic. */
  theta: number;
  /** Shape parameter of generalized and plateau kernels. */
  beta: number;
  isotropic: boolean;
}

/** Σ⁻¹ as [a, b, c] for the symmetric matrix [[a, b], [b, c]]. */
export function inverseCovariance(p: Pick<KernelParams, 'sigmaX' | 'sigmaY' | 'theta' | 'isotropic'>): [number, number, number] {
  if (p.isotropic) return [1 / (p.sigmaX * p.sigmaX), 0, 1 / (p.sigmaX * p.sigmaX)];
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  const dx = p.sigmaX * p.sigmaX;
  const dy = p.sigmaY * p.sigmaY;
  // Σ = U·D·Uᵀ with U = [[c, −s], [s, c]]; its inverse is U·D⁻¹·Uᵀ.
  return [(c * c) / dx + (s * s) / dy, c * s * (1 / dx - 1 / dy), (s * s) / dx + (c * c) / dy];
}

/** Divides by the sum, in place. */
export function normalise(data: Float64Array): Float64Array {
  let sum = 0;
  for (const v of data) sum += v;
  for (let i = 0; i < data.length; i++) data[i]! /= sum;
  return data;
}

/** One of the three kernel shapes above on its grid. */
export function bivariateKernel(shape: KernelShape, p: KernelParams): BlurKernel {
  const { size, beta } = p;
  const r = (size - 1) / 2;
  const [a, b, c] = inverseCovariance(p);
  const data = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const y = i - r;
    for (let j = 0; j < size; j++) {
      const x = j - r;
      const q = a * x * x + 2 * b * x * y + c * y * y;
      data[i * size + j] = shape === 'gaussian' ? Math.exp(-0.5 * q) : shape === 'generalized' ? Math.exp(-0.5 * q ** beta) : 1 / (q ** beta + 1);
    }
  }
  normalise(data);
  if (shape !== 'gaussian' || !p.isotropic) return { size, data };
  // exp(−(x² + y²)/2σ²) = g(x)·g(y): the normalised g gives the same kernel.
  const f = new Float64Array(size);
  for (let j = 0; j < size; j++) f[j] = Math.exp((-0.5 * (j - r) * (j - r)) / (p.sigmaX * p.sigmaX));
  return { size, data, separable: normalise(f) };
}

/** The identity kernel (Real-ESRGAN's "pulse"): filtering with it changes nothing. */
export function pulseKernel(size = 1): BlurKernel {
  const data = new Float64Array(size * size);
  data[(size * size - 1) / 2] = 1;
  const f = new Float64Array(size);
  f[(size - 1) / 2] = 1;
  return { size, data, separable: f };
}
