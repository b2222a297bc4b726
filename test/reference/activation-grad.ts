import { sameShape, tensor4, type Floats, type Tensor4 } from './tensor4.js';

/**
 * Element-wise activations, batched, float64, forward and backward, with PyTorch's choices at
 * x = 0 (where the derivative is not defined):
 *   relu        y = max(x, 0)               gx = x > 0 ? gy : 0
 *   leaky_relu  y = x > 0 ? x : s·x          gx = x > 0 ? gy : s·gy
 *   prelu       y = x > 0 ? x : a[c]·x       gx = x > 0 ? gy : a[c]·gy,  ga[c] = Σ_{x ≤ 0} x·gy
 *   tanh        y = tanh(x)                  gx = gy·(1 − y²)
 * PReLU has one slope per channel, or one slope shared by every channel (nn.PReLU()); its
 * gradient sums over the batch and every pixel (and every channel when shared).
 */
export type ActivationSpec =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky_relu'; slope: number }
  | { kind: 'prelu'; slopes: Floats } // [C] or [1]
  | { kind: 'tanh' };

function slopeIndexer(x: Tensor4, slopes: Floats): (flat: number) => number {
  if (slopes.length !== 1 && slopes.length !== x.c) throw new Error(`PReLU has ${slopes.length} slopes for ${x.c} channels`);
  const plane = x.h * x.w;
  return slopes.length === 1 ? () => 0 : (flat) => Math.floor(flat / plane) % x.c;
}

export function activationForward(x: Tensor4, act: ActivationSpec): Tensor4 {
  const y = tensor4(x.n, x.c, x.h, x.w);
  const d = x.data;
  switch (act.kind) {
    case 'none':
      y.data.set(d);
      break;
    case 'relu':
      d.forEach((v, i) => (y.data[i] = v > 0 ? v : 0));
      break;
    case 'leaky_relu':
      d.forEach((v, i) => (y.data[i] = v > 0 ? v : act.slope * v));
      break;
    case 'prelu': {
      const ch = slopeIndexer(x, act.slopes);
      d.forEach((v, i) => (y.data[i] = v > 0 ? v : act.slopes[ch(i)]! * v));
      break;
    }
    case 'tanh':
      d.forEach((v, i) => (y.data[i] = Math.tanh(v)));
      break;
  }
  return y;
}

export interface ActivationGrads {
  gx: Tensor4;
  /** PReLU only: dL/dslopes, same length as the slopes. */
  gslopes?: Float64Array;
}

/** Gradients given the forward's input x (and gy); tanh recomputes y from x. */
export function activationBackward(x: Tensor4, act: ActivationSpec, gy: Tensor4): ActivationGrads {
  sameShape(x, gy, `${act.kind} backward`);
  const gx = tensor4(x.n, x.c, x.h, x.w);
  const g = gy.data;
  switch (act.kind) {
    case 'none':
      gx.data.set(g);
      return { gx };
    case 'relu':
      x.data.forEach((v, i) => (gx.data[i] = v > 0 ? g[i]! : 0));
      return { gx };
    case 'leaky_relu':
      x.data.forEach((v, i) => (gx.data[i] = v > 0 ? g[i]! : act.slope * g[i]!));
      return { gx };
    case 'prelu': {
      const ch = slopeIndexer(x, act.slopes);
      const gslopes = new Float64Array(act.slopes.length);
      x.data.forEach((v, i) => {
        if (v > 0) gx.data[i] = g[i]!;
        else {
          const c = ch(i);
          gx.data[i] = act.slopes[c]! * g[i]!;
          gslopes[c] += v * g[i]!;
        }
      });
      return { gx, gslopes };
    }
    case 'tanh':
      x.data.forEach((v, i) => {
        const t = Math.tanh(v);
        gx.data[i] = g[i]! * (1 - t * t);
      });
      return { gx };
  }
}
