import type { Floats } from './tensor4.js';

/**
 * The training losses with reduction 'mean' over every element (batch included), in float64,
 * and their gradient w.r.t. the prediction:
 *   L1:  L = Σ|p − t| / n,   dL/dp = sign(p − t) / n, with sign(0) = 0 as PyTorch has it
 *   MSE: L = Σ(p − t)² / n,  dL/dp = 2·(p − t) / n
 */
export type LossKind = 'l1' | 'mse';

export interface LossResult {
  value: number;
  grad: Float64Array;
}

export function lossRef(kind: LossKind, pred: Floats, target: Floats): LossResult {
  if (pred.length !== target.length) throw new Error(`${kind} loss: ${pred.length} predictions for ${target.length} targets`);
  const n = pred.length;
  const grad = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    if (kind === 'l1') {
      sum += Math.abs(d);
      grad[i] = Math.sign(d) / n; // Math.sign(0) = 0, like torch.sign
    } else {
      sum += d * d;
      grad[i] = (2 * d) / n;
    }
  }
  return { value: sum / n, grad };
}
