import { WgsrError } from '../errors.js';
import type { ConvWeights } from '../graph/ir.js';
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
