/** Largest error and the first element outside `|got - want| <= atol + rtol * |want|`. */
export interface Comparison {
  maxAbs: number;
  maxRel: number;
  worstIndex: number;
  failures: number;
  firstFailure?: { index: number; got: number; want: number };
}

export function compareArrays(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Comparison {
  if (got.length !== want.length) throw new Error(`length ${got.length} != expected ${want.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  let worstIndex = -1;
  let failures = 0;
  let firstFailure: Comparison['firstFailure'];
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const d = Math.abs(g - w);
    if (!(d <= atol + rtol * Math.abs(w))) {
      failures++;
      firstFailure ??= { index: i, got: g, want: w };
    }
    if (!(d <= maxAbs)) {
      maxAbs = Number.isNaN(d) ? Infinity : d;
      worstIndex = i;
    }
    const rel = d / Math.max(Math.abs(w), 1e-30);
    if (rel > maxRel) maxRel = rel;
  }
  return { maxAbs, maxRel, worstIndex, failures, firstFailure };
}

/** Throws with the worst element when any element is outside the tolerance. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what = 'output'): Comparison {
  const c = compareArrays(got, want, atol, rtol);
  if (c.failures > 0) {
    const f = c.firstFailure!;
    throw new Error(
      `${what}: ${c.failures}/${want.length} elements outside |Δ| ≤ ${atol} + ${rtol}·|ref| ` +
        `(first at ${f.index}: got ${f.got}, want ${f.want}; max |Δ| ${c.maxAbs})`,
    );
  }
  return c;
}

/**
 * The model tests' budget: max |got − want| ≤ fraction · (max − min of want), i.e. a share of
 * the output's range. Logs the largest error and the budget under `what`; throws past it.
 */
export function expectWithinRange(got: ArrayLike<number>, want: ArrayLike<number>, fraction: number, what: string): { maxAbs: number; budget: number } {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  let min = Infinity;
  let max = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    [min, max] = [Math.min(min, w), Math.max(max, w)];
    const d = Math.abs(got[i]! - w);
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
  }
  const budget = fraction * (max - min);
  console.log(`${what}: max |Δ| ${maxAbs.toExponential(2)} (budget ${budget.toExponential(2)})`);
  if (!(maxAbs <= budget)) throw new Error(`${what}: max |Δ| ${maxAbs} exceeds ${fraction} of the output's range (${budget})`);
  return { maxAbs, budget };
}
