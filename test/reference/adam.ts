import type { Floats } from './tensor4.js';

/**
 * torch.optim.Adam and torch.optim.AdamW (amsgrad off, maximize off), one tensor at a time, in
 * float64, with the operations in torch's order. Step t counts from 1:
 *   Adam:  g ← g + wd·p                                   (L2 decay folded into the gradient)
 *   AdamW: p ← p·(1 − lr·wd)                              (decoupled decay, before the update)
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * i.e. p −= lr·m̂/(sqrt(v̂) + eps) with m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t). Note eps is added to
 * sqrt(v̂), not to v̂, and the bias corrections use the step count of this tensor's state.
 */
export interface AdamSettings {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay?: number;
}

export interface AdamState {
  /** Steps taken so far (torch's state['step']). */
  step: number;
  expAvg: Float64Array;
  expAvgSq: Float64Array;
}

export function adamState(size: number): AdamState {
  return { step: 0, expAvg: new Float64Array(size), expAvgSq: new Float64Array(size) };
}

function step(param: Floats, grad: Floats, state: AdamState, s: AdamSettings, decoupled: boolean): { param: Float64Array; state: AdamState } {
  if (param.length !== grad.length || param.length !== state.expAvg.length) {
    throw new Error(`adam: param ${param.length}, grad ${grad.length}, state ${state.expAvg.length} values`);
  }
  const [b1, b2] = s.betas;
  const wd = s.weightDecay ?? 0;
  const t = state.step + 1;
  const stepSize = s.lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  const p = Float64Array.from(param);
  const m = Float64Array.from(state.expAvg);
  const v = Float64Array.from(state.expAvgSq);
  for (let i = 0; i < p.length; i++) {
    let g = grad[i]!;
    if (decoupled) p[i]! *= 1 - s.lr * wd;
    else if (wd !== 0) g += wd * p[i]!;
    m[i] = m[i]! * b1 + (1 - b1) * g;
    v[i] = v[i]! * b2 + (1 - b2) * g * g;
    p[i]! -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + s.eps);
  }
  return { param: p, state: { step: t, expAvg: m, expAvgSq: v } };
}

/** One torch.optim.Adam step; returns the new parameter and state (the inputs are not changed). */
export function adamStep(param: Floats, grad: Floats, state: AdamState, s: AdamSettings): { param: Float64Array; state: AdamState } {
  return step(param, grad, state, s, false);
}

/** One torch.optim.AdamW step (decoupled weight decay; torch's default wd is 0.01, give it here). */
export function adamwStep(param: Floats, grad: Floats, state: AdamState, s: AdamSettings): { param: Float64Array; state: AdamState } {
  return step(param, grad, state, s, true);
}
