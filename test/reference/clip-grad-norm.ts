import type { Floats } from './tensor4.js';

/**
 * torch.nn.utils.clip_grad_norm_(params, maxNorm) with the 2-norm, in float64:
 *   total = sqrt(Σ over every tensor of ‖g‖²)   (the norm of the per-tensor norms)
 *   coef  = maxNorm / (total + 1e-6)
 *   every gradient is scaled by coef when coef < 1, left alone otherwise.
 * Returns the total norm before clipping (what torch returns) and the clipped gradients.
 */
export function clipGradNormRef(grads: readonly Floats[], maxNorm: number): { totalNorm: number; grads: Float64Array[] } {
  let sumSquares = 0;
  for (const g of grads) for (const v of g) sumSquares += v * v;
  const totalNorm = Math.sqrt(sumSquares);
  const coef = maxNorm / (totalNorm + 1e-6);
  return { totalNorm, grads: grads.map((g) => Float64Array.from(g, (v) => (coef < 1 ? v * coef : v))) };
}
