import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/rng.js';
import { BLUR_KERNEL_TYPES, REALESRGAN_DEFAULTS } from '../../src/train/degrade/params.js';
import { drawPlan, type DegradationPlan } from '../../src/train/degrade/plan.js';

// 20 000 plans: a frequency's standard error is at most 0.0035; every check allows 0.015 (≥ 4σ).
const N = 20_000;
const TOL = 0.015;
const plans: DegradationPlan[] = (() => {
  const rng = Rng.derive(2024);
  return Array.from({ length: N }, () => drawPlan(rng, REALESRGAN_DEFAULTS));
})();
const share = (pred: (p: DegradationPlan) => boolean) => plans.filter(pred).length / N;
const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v < hi;
/** Indices of the plans for which `ok` is false (per-plan expect() calls would take seconds). */
const failing = (ok: (p: DegradationPlan) => boolean) => plans.flatMap((p, i) => (ok(p) ? [] : [i]));

describe("the degradation plan draws Real-ESRGAN's published probabilities and ranges", () => {
  it('stage kernels: sinc 10 %, else the six kinds by 0.45/0.25/0.12/0.03/0.12/0.03; sides 7…21 uniform', () => {
    expect(share((p) => p.blur1.kind === 'sinc')).toBeCloseTo(0.1, 1);
    BLUR_KERNEL_TYPES.forEach((kind, i) => {
      expect(Math.abs(share((p) => p.blur1.kind === kind) - 0.9 * REALESRGAN_DEFAULTS.first.blur.kernelProb[i]!)).toBeLessThan(TOL);
    });
    for (const size of [7, 9, 11, 13, 15, 17, 19, 21]) expect(Math.abs(share((p) => p.blur1.size === size) - 1 / 8)).toBeLessThan(TOL);
  });

  it('σ, θ, β and the sinc cut-off stay in their ranges; β falls below 1 half the time', () => {
    const inRange = (p: DegradationPlan) =>
      ([
        [p.blur1, [0.2, 3]],
        [p.blur2, [0.2, 1.5]],
      ] as const).every(([k, sigma]) => {
        if (!k) return true;
        if (k.kind === 'sinc') return within(k.cutoff, k.size < 13 ? [Math.PI / 3, Math.PI] : [Math.PI / 5, Math.PI]);
        if (!(within(k.sigmaX, sigma) && within(k.sigmaY, sigma) && within(k.theta, [-Math.PI, Math.PI]))) return false;
        if (k.kind.startsWith('generalized') && !within(k.beta, [0.5, 4])) return false;
        if (k.kind.startsWith('plateau') && !(within(k.beta, [1, 2]) || k.beta === 1)) return false;
        return k.kind !== 'iso' || k.sigmaY === k.sigmaX;
      });
    expect(failing(inRange)).toEqual([]);
    const generalized = plans.filter((p) => p.blur1.kind.startsWith('generalized'));
    expect(Math.abs(generalized.filter((p) => p.blur1.kind !== 'sinc' && p.blur1.beta < 1).length / generalized.length - 0.5)).toBeLessThan(0.05);
  });

  it('resize: up/down/keep 0.2/0.7/0.1 then 0.3/0.4/0.3, in [0.15, 1.5) and [0.3, 1.2); each mode a third', () => {
    const dirs = [
      ['resize1', [0.2, 0.7, 0.1], [0.15, 1.5]],
      ['resize2', [0.3, 0.4, 0.3], [0.3, 1.2]],
    ] as const;
    for (const [key, prob, range] of dirs) {
      (['up', 'down', 'keep'] as const).forEach((d, i) => expect(Math.abs(share((p) => p[key].direction === d) - prob[i]!)).toBeLessThan(TOL));
      expect(failing(({ [key]: { direction, scale } }) => (direction === 'keep' ? scale === 1 : direction === 'up' ? within(scale, [1, range[1]]) : within(scale, [range[0], 1])))).toEqual([]);
      for (const mode of ['area', 'bilinear', 'bicubic'] as const) expect(Math.abs(share((p) => p[key].mode === mode) - 1 / 3)).toBeLessThan(TOL);
    }
  });

  it('noise: Gaussian or Poisson 50/50, gray 40 %, σ in [1, 30) then [1, 25), Poisson scale in [0.05, 3) then [0.05, 2.5)', () => {
    for (const [key, sigma, scale] of [
      ['noise1', [1, 30], [0.05, 3]],
      ['noise2', [1, 25], [0.05, 2.5]],
    ] as const) {
      expect(Math.abs(share((p) => p[key].kind === 'gaussian') - 0.5)).toBeLessThan(TOL);
      expect(Math.abs(share((p) => p[key].gray) - 0.4)).toBeLessThan(TOL);
      expect(failing(({ [key]: n }) => (n.kind === 'gaussian' ? within(n.sigma, sigma) : within(n.scale, scale)))).toEqual([]);
    }
  });

  it('second blur 80 %, final sinc 80 % (cut-off in [π/3, π)), JPEG first 50 %, JPEG quality in [30, 95)', () => {
    expect(Math.abs(share((p) => p.blur2 !== undefined) - 0.8)).toBeLessThan(TOL);
    expect(Math.abs(share((p) => p.sinc !== undefined) - 0.8)).toBeLessThan(TOL);
    expect(Math.abs(share((p) => p.jpegBeforeFinalResize) - 0.5)).toBeLessThan(TOL);
    expect(failing((p) => within(p.jpeg1, [30, 95]) && within(p.jpeg2, [30, 95]))).toEqual([]);
    expect(failing((p) => p.sinc === undefined || (p.sinc.kind === 'sinc' && within(p.sinc.cutoff, [Math.PI / 3, Math.PI])))).toEqual([]);
  });

  it('is a pure function of the stream: the same seed gives the same plan', () => {
    expect(drawPlan(Rng.derive(5, 1), REALESRGAN_DEFAULTS)).toEqual(drawPlan(Rng.derive(5, 1), REALESRGAN_DEFAULTS));
  });
});
