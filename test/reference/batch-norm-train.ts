import { sameShape, tensor4, type Floats, type Tensor4 } from './tensor4.js';

/**
 * BatchNorm2d in training mode, batched, float64. Per channel c, over the M = N·H·W values:
 *   μ = mean(x),  σ² = mean((x − μ)²) (biased),  x̂ = (x − μ)/sqrt(σ² + eps),  y = γ·x̂ + β
 * Backward (the batch statistics depend on x, so every value's gradient involves the others):
 *   gβ = Σ gy,  gγ = Σ gy·x̂,  gx = γ/sqrt(σ² + eps) · (gy − gβ/M − x̂·gγ/M)
 * Running statistics (momentum m = 0.1): r_μ ← (1 − m)·r_μ + m·μ,
 *   r_σ² ← (1 − m)·r_σ² + m·σ²·M/(M − 1) — the UNbiased variance, unlike the one y uses.
 */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface BatchNormStats {
  mean: Float64Array;
  /** Biased (divided by M): what normalises y. */
  variance: Float64Array;
  /** Per-element normalised input x̂, kept for the backward. */
  xhat: Tensor4;
  invStd: Float64Array;
}

function perChannel(x: Tensor4, visit: (c: number, flat: number) => void): void {
  const plane = x.h * x.w;
  for (let b = 0; b < x.n; b++)
    for (let c = 0; c < x.c; c++) {
      const base = (b * x.c + c) * plane;
      for (let j = 0; j < plane; j++) visit(c, base + j);
    }
}

export function batchNormTrainForward(x: Tensor4, gamma: Floats, beta: Floats, eps = BN_EPS): { y: Tensor4; stats: BatchNormStats } {
  if (gamma.length !== x.c || beta.length !== x.c) throw new Error(`batch norm: ${gamma.length}/${beta.length} affine values for ${x.c} channels`);
  const m = x.n * x.h * x.w;
  const mean = new Float64Array(x.c);
  const variance = new Float64Array(x.c);
  perChannel(x, (c, i) => (mean[c] += x.data[i]!));
  mean.forEach((s, c) => (mean[c] = s / m));
  // Two passes (mean, then squared deviations): the reference must not lose digits to E[x²] − μ².
  perChannel(x, (c, i) => (variance[c] += (x.data[i]! - mean[c]!) ** 2));
  variance.forEach((s, c) => (variance[c] = s / m));
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = tensor4(x.n, x.c, x.h, x.w);
  const y = tensor4(x.n, x.c, x.h, x.w);
  perChannel(x, (c, i) => {
    xhat.data[i] = (x.data[i]! - mean[c]!) * invStd[c]!;
    y.data[i] = gamma[c]! * xhat.data[i]! + beta[c]!;
  });
  return { y, stats: { mean, variance, xhat, invStd } };
}

export function batchNormTrainBackward(stats: BatchNormStats, gamma: Floats, gy: Tensor4): { gx: Tensor4; ggamma: Float64Array; gbeta: Float64Array } {
  const { xhat, invStd } = stats;
  sameShape(xhat, gy, 'batch norm backward');
  const m = gy.n * gy.h * gy.w;
  const gbeta = new Float64Array(gy.c);
  const ggamma = new Float64Array(gy.c);
  perChannel(gy, (c, i) => {
    gbeta[c] += gy.data[i]!;
    ggamma[c] += gy.data[i]! * xhat.data[i]!;
  });
  const gx = tensor4(gy.n, gy.c, gy.h, gy.w);
  perChannel(gy, (c, i) => {
    gx.data[i] = gamma[c]! * invStd[c]! * (gy.data[i]! - gbeta[c]! / m - (xhat.data[i]! * ggamma[c]!) / m);
  });
  return { gx, ggamma, gbeta };
}

/** The running statistics after one training-mode forward over a batch of M values per channel. */
export function batchNormRunningUpdate(
  running: { mean: Floats; variance: Floats },
  stats: BatchNormStats,
  count: number,
  momentum = BN_MOMENTUM,
): { mean: Float64Array; variance: Float64Array } {
  if (count < 2) throw new Error('batch norm: the unbiased variance needs at least 2 values per channel');
  const unbiased = stats.variance.map((v) => (v * count) / (count - 1));
  return {
    mean: Float64Array.from(running.mean, (r, c) => (1 - momentum) * r + momentum * stats.mean[c]!),
    variance: Float64Array.from(running.variance, (r, c) => (1 - momentum) * r + momentum * unbiased[c]!),
  };
}
