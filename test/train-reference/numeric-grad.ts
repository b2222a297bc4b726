/**
 * Central finite differences in float64, for ops and cases the PyTorch fixtures do not cover:
 * an independent check that a hand-written backward is the derivative of its forward.
 */

/** dL/dx_i for L(x) = Σ_j f(x)_j · gy_j, element by element (2 evaluations per element). */
export function numericGradient(f: (x: Float64Array) => ArrayLike<number>, x: Float64Array, gy: ArrayLike<number>, h = 1e-5): Float64Array {
  const loss = (v: Float64Array) => {
    const y = f(v);
    let s = 0;
    for (let j = 0; j < y.length; j++) s += y[j]! * gy[j]!;
    return s;
  };
  const g = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i]! + h;
    const up = loss(probe);
    probe[i] = x[i]! - h;
    g[i] = (up - loss(probe)) / (2 * h);
    probe[i] = x[i]!;
  }
  return g;
}

/** The derivative of a scalar L along d at x: (L(x + h·d) − L(x − h·d)) / 2h. */
export function directionalDerivative(loss: (x: Float64Array) => number, x: Float64Array, d: Float64Array, h = 1e-5): number {
  const at = (s: number) => loss(Float64Array.from(x, (v, i) => v + s * d[i]!));
  return (at(h) - at(-h)) / (2 * h);
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
