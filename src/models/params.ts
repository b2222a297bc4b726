import { WgsrError } from '../errors.js';
import type { Activation, BatchNormParams, ConvWeights } from '../graph/ir.js';
import type { StateDict, WeightTensor } from '../weights/types.js';

/** A tensor the model needs, or a clear error naming the key. */
export function requireTensor(sd: StateDict, key: string, arch: string): WeightTensor {
  const t = sd.get(key);
  if (!t) throw new WgsrError('BAD_MODEL', `${arch} weights have no "${key}"; the file is incomplete or not a ${arch} checkpoint`);
  return t;
}

/** `<prefix>.weight` ([cout, cin, k, k]) and, when present, `<prefix>.bias`. */
export function convWeights(sd: StateDict, prefix: string, arch: string): ConvWeights {
  const w = requireTensor(sd, `${prefix}.weight`, arch);
  if (w.shape.length !== 4) throw new WgsrError('BAD_MODEL', `${arch}: "${prefix}.weight" has shape [${w.shape.join(', ')}], expected [cout, cin, k, k]`);
  const bias = sd.get(`${prefix}.bias`);
  return { weight: w.data, shape: w.shape as [number, number, number, number], bias: bias?.data, name: prefix };
}

/** PReLU with the slopes stored at `key` (one per channel, or one shared). */
export function prelu(sd: StateDict, key: string, arch: string): Activation {
  return { kind: 'prelu', slopes: requireTensor(sd, key, arch).data, key };
}

/** torch.nn.BatchNorm2d's default eps. */
const BN_EPS = 1e-5;

/** BatchNorm2d `<prefix>.weight`, `.bias`, `.running_mean`, `.running_var`. */
export function batchNormParams(sd: StateDict, prefix: string, arch: string): BatchNormParams {
  const t = (p: string) => requireTensor(sd, `${prefix}.${p}`, arch).data;
  return { weight: t('weight'), bias: t('bias'), runningMean: t('running_mean'), runningVar: t('running_var'), eps: BN_EPS, name: prefix };
}
