import { WgsrError } from '../errors.js';

/** Eval-mode batch norm: y = (x − mean) / sqrt(var + eps) · weight + bias, per channel. */
export interface BatchNormParams {
  weight: Float32Array;
  bias: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  eps: number;
}

/**
 * Folds an eval-mode BatchNorm2d into the conv before it, so the pair runs as one conv:
 * with s = weight / sqrt(var + eps), w'[co] = s[co]·w[co] and b'[co] = s[co]·(b[co] − mean[co]) + bias[co].
 * Pure CPU, done once at load time. Computed in float64, rounded once to f32.
 */
export function foldBatchNorm(
  conv: { weight: Float32Array; shape: readonly number[]; bias?: Float32Array },
  bn: BatchNormParams,
  label = 'conv + batch norm',
): { weight: Float32Array; bias: Float32Array } {
  const cout = conv.shape[0]!;
  const perOut = conv.weight.length / cout;
  for (const [k, v] of Object.entries({ weight: bn.weight, bias: bn.bias, running_mean: bn.runningMean, running_var: bn.runningVar })) {
    if (v.length !== cout) throw new WgsrError('BAD_MODEL', `${label}: batch norm ${k} has ${v.length} values for ${cout} conv output channels`);
  }
  if (conv.bias && conv.bias.length !== cout) throw new WgsrError('BAD_MODEL', `${label}: conv bias has ${conv.bias.length} values for ${cout} channels`);
  const weight = new Float32Array(conv.weight.length);
  const bias = new Float32Array(cout);
  for (let co = 0; co < cout; co++) {
    const s = bn.weight[co]! / Math.sqrt(bn.runningVar[co]! + bn.eps);
    for (let i = co * perOut; i < (co + 1) * perOut; i++) weight[i] = conv.weight[i]! * s;
    bias[co] = ((conv.bias?.[co] ?? 0) - bn.runningMean[co]!) * s + bn.bias[co]!;
  }
  return { weight, bias };
}
