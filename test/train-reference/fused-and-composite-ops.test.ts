import { describe, expect, it } from 'vitest';
import { adamState, adamStep, adamwStep } from '../reference/adam.js';
import { clipGradNormRef } from '../reference/clip-grad-norm.js';
import { concatBackward, concatForward } from '../reference/concat-grad.js';
import { conv2dTransformedBackward, conv2dTransformedForward, type ConvInputTransform } from '../reference/conv2d-transformed-grad.js';
import { scaledAddBackward, scaledAddForward } from '../reference/scaled-add-grad.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';
import { rng } from '../helpers/synthetic.js';
import { expectMatches } from './fixtures.js';
import { numericGradient } from './numeric-grad.js';

/**
 * Ops without a PyTorch fixture, checked against central differences of their own forward in
 * float64. The forwards are linear in what is differentiated, so the differences are exact up
 * to rounding (≤ 1e-9 of the largest here); 1e-8 leaves room for that and for nothing else.
 */
const FD_TOLERANCE = { rtol: 1e-8, ofMax: 1e-8 };

type FusedTransform = Exclude<ConvInputTransform, { kind: 'none' }>;

const randoms = (n: number, random: () => number) => Float64Array.from({ length: n }, () => random() * 2 - 1);
const randomTensor = (n: number, c: number, h: number, w: number, random: () => number) => tensor4(n, c, h, w, randoms(n * c * h * w, random));
const withData = (t: Tensor4, data: Float64Array) => tensor4(t.n, t.c, t.h, t.w, data);

describe('conv2d reading a nearest-upsampled or pixel-unshuffled input (the fused input transforms)', () => {
  const cases: { t: FusedTransform; x: [number, number, number, number] }[] = [
    { t: { kind: 'upsample_nearest', factor: 2 }, x: [2, 3, 3, 4] },
    { t: { kind: 'upsample_nearest', factor: 3 }, x: [1, 2, 2, 3] },
    { t: { kind: 'pixel_unshuffle', factor: 2 }, x: [2, 2, 6, 4] },
    { t: { kind: 'pixel_unshuffle', factor: 4 }, x: [1, 1, 8, 4] },
  ];
  for (const { t, x: [n, c, h, w] } of cases) {
    it(`${t.kind} ×${t.factor}: gradients w.r.t. the untransformed input, the weights and the bias`, () => {
      const random = rng(7 * t.factor + c);
      const x = randomTensor(n, c, h, w, random);
      const cin = t.kind === 'pixel_unshuffle' ? c * t.factor ** 2 : c;
      const shape = [4, cin, 3, 3];
      const weight = randoms(4 * cin * 9, random);
      const bias = randoms(4, random);
      const y = conv2dTransformedForward(x, t, weight, shape, bias);
      expect([y.n, y.c, y.h * y.w]).toEqual([n, 4, t.kind === 'upsample_nearest' ? h * w * t.factor ** 2 : (h * w) / t.factor ** 2]);
      const gy = randoms(y.data.length, random);
      const g = conv2dTransformedBackward(x, t, weight, shape, withData(y, gy));
      expect([g.gx.n, g.gx.c, g.gx.h, g.gx.w]).toEqual([n, c, h, w]);
      const fdX = numericGradient((v) => conv2dTransformedForward(withData(x, v), t, weight, shape, bias).data, x.data, gy);
      const fdW = numericGradient((v) => conv2dTransformedForward(x, t, v, shape, bias).data, weight, gy);
      const fdB = numericGradient((v) => conv2dTransformedForward(x, t, weight, shape, v).data, bias, gy);
      expectMatches(`conv ∘ ${t.kind}×${t.factor} gx`, g.gx.data, fdX, FD_TOLERANCE);
      expectMatches(`conv ∘ ${t.kind}×${t.factor} gweight`, g.gweight, fdW, FD_TOLERANCE);
      expectMatches(`conv ∘ ${t.kind}×${t.factor} gbias`, g.gbias, fdB, FD_TOLERANCE);
    });
  }
});

describe('scaled residual add and dense concatenation', () => {
  for (const f of [1, 2, 4]) {
    it(`out = a·x + b·upsample(y, ${f})`, () => {
      const random = rng(100 + f);
      const x = randomTensor(2, 3, 4 * f, 2 * f, random);
      const y = randomTensor(2, 3, 4, 2, random);
      const [a, b] = [0.2, -1.5];
      const gout = randoms(x.data.length, random);
      const g = scaledAddBackward(a, b, withData(x, gout), f);
      expectMatches(`add×${f} gx`, g.gx.data, numericGradient((v) => scaledAddForward(a, withData(x, v), b, y, f).data, x.data, gout), FD_TOLERANCE);
      expectMatches(`add×${f} gy`, g.gy.data, numericGradient((v) => scaledAddForward(a, x, b, withData(y, v), f).data, y.data, gout), FD_TOLERANCE);
    });
  }

  it('cat(x0, x1, x2) along channels, batch 2: each input gets its channel slice', () => {
    const random = rng(5);
    const xs = [randomTensor(2, 3, 2, 3, random), randomTensor(2, 1, 2, 3, random), randomTensor(2, 2, 2, 3, random)];
    const out = concatForward(xs);
    // Image 1, channel 3 of the output is image 1, channel 0 of x1.
    expect(out.data.subarray((1 * 6 + 3) * 6, (1 * 6 + 4) * 6)).toEqual(xs[1]!.data.subarray(6, 12));
    const gout = randoms(out.data.length, random);
    const parts = concatBackward(withData(out, gout), xs.map((x) => x.c));
    xs.forEach((x, i) => {
      const fd = numericGradient((v) => concatForward(xs.map((t, j) => (j === i ? withData(x, v) : t))).data, x.data, gout);
      expectMatches(`concat g${i}`, parts[i]!.data, fd, FD_TOLERANCE);
    });
  });
});

describe('Adam with weight decay, AdamW, gradient clipping', () => {
  const settings = { lr: 0.01, betas: [0.9, 0.99] as const, eps: 1e-8, weightDecay: 0.05 };
  const p0 = new Float64Array([0.5, -2, 0, 3]);
  const g = new Float64Array([0.1, 0.4, -0.3, 0]);

  // At step 1, m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps): a closed form to hold both to.
  it('Adam step 1 with weight decay: the decay is added to the gradient first', () => {
    const { param, state } = adamStep(p0, g, adamState(4), settings);
    const gd = [...g].map((v, i) => v + 0.05 * p0[i]!);
    expectMatches('adam+wd step 1', param, [...p0].map((p, i) => p - (0.01 * gd[i]!) / (Math.abs(gd[i]!) + 1e-8)), FD_TOLERANCE);
    expectMatches('adam+wd exp_avg', state.expAvg, gd.map((v) => 0.1 * v), FD_TOLERANCE);
    expectMatches('adam+wd exp_avg_sq', state.expAvgSq, gd.map((v) => 0.01 * v * v), FD_TOLERANCE);
  });

  it('AdamW step 1: the parameter shrinks by 1 − lr·wd first, the moments see the raw gradient', () => {
    const { param, state } = adamwStep(p0, g, adamState(4), settings);
    const want = [...p0].map((p, i) => p * (1 - 0.01 * 0.05) - (0.01 * g[i]!) / (Math.abs(g[i]!) + 1e-8));
    expectMatches('adamw step 1', param, want, FD_TOLERANCE);
    expectMatches('adamw exp_avg', state.expAvg, [...g].map((v) => 0.1 * v), FD_TOLERANCE);
  });

  it('the bias corrections follow the step count: a constant gradient moves Adam by lr per step', () => {
    // m̂ = v̂^(1/2) = |g| at every step for a constant g, so each step is lr·sign(g) (eps aside).
    let p: Float64Array = Float64Array.from([1, 1]);
    let state = adamState(2);
    for (let t = 0; t < 7; t++) ({ param: p, state } = adamStep(p, new Float64Array([0.3, -2]), state, { lr: 0.001, betas: [0.9, 0.999], eps: 0 }));
    expect(state.step).toBe(7);
    expectMatches('adam constant gradient', p, [1 - 0.007, 1 + 0.007], FD_TOLERANCE);
  });

  it('clip_grad_norm_: scales every tensor by max/(total + 1e-6) only when that is below 1', () => {
    const grads = [new Float64Array([3, 0]), new Float64Array([0, 4, 0])]; // total norm 5
    const clipped = clipGradNormRef(grads, 1);
    expect(clipped.totalNorm).toBe(5);
    expectMatches('clip to 1', [...clipped.grads[0]!, ...clipped.grads[1]!], [3, 0, 0, 4, 0].map((v) => v / (5 + 1e-6)), FD_TOLERANCE);
    const loose = clipGradNormRef(grads, 10);
    expect([...loose.grads[0]!, ...loose.grads[1]!]).toEqual([3, 0, 0, 4, 0]);
    // Exactly at the norm, coef = 5/(5 + 1e-6) < 1: torch scales (slightly), and so does the reference.
    expect(clipGradNormRef(grads, 5).grads[1]![1]).toBeCloseTo(4 * (5 / (5 + 1e-6)), 15);
  });
});
