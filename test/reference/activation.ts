import type { Tensor3 } from './tensor.js';

export type ActivationRef =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky_relu'; slope: number }
  | { kind: 'prelu'; slopes: Float32Array } // [C] or [1]
  | { kind: 'tanh' };

/**
 * Element-wise activation, as torch.nn.functional defines each, in f32 like PyTorch: the
 * negative-slope product is rounded to f32 (Math.fround) so the comparison can be exact.
 */
export function activationRef(x: Tensor3, act: ActivationRef): Tensor3 {
  const plane = x.height * x.width;
  const data = x.data.map((v, i) => {
    switch (act.kind) {
      case 'none':
        return v;
      case 'relu':
        return Math.max(v, 0);
      case 'leaky_relu':
        return v >= 0 ? v : Math.fround(v * Math.fround(act.slope));
      case 'prelu': {
        const s = act.slopes.length === 1 ? act.slopes[0]! : act.slopes[Math.floor(i / plane)]!;
        return v >= 0 ? v : Math.fround(v * s);
      }
      case 'tanh':
        return Math.tanh(v);
    }
  });
  return { ...x, data };
}
