import type { Tensor3 } from './tensor.js';

/** F.batch_norm(x, mean, var, weight, bias, training=False, eps): (x − mean)/sqrt(var + eps)·weight + bias. */
export function batchNormEvalRef(
  x: Tensor3,
  p: { runningMean: Float32Array; runningVar: Float32Array; weight: Float32Array; bias: Float32Array; eps: number },
): Tensor3 {
  const plane = x.height * x.width;
  const data = x.data.map((v, i) => {
    const c = Math.floor(i / plane);
    return ((v - p.runningMean[c]!) / Math.sqrt(p.runningVar[c]! + p.eps)) * p.weight[c]! + p.bias[c]!;
  });
  return { ...x, data };
}
