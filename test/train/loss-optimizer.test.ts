import { describe, expect, it } from 'vitest';
import { adam, type AdamStepSettings } from '../../src/kernels/adam.js';
import { channelPartials, reduceChunks, reducePartials } from '../../src/kernels/channel-reduce.js';
import { lossPartialCount, lossPartials, lossValue } from '../../src/kernels/loss.js';
import { adamState, adamStep, adamwStep, type AdamState } from '../reference/adam.js';
import { clipGradNormRef } from '../reference/clip-grad-norm.js';
import { lossRef } from '../reference/loss.js';
import { tensor4 } from '../reference/tensor4.js';
import { testDevice } from '../helpers/gpu.js';
import { expectMatches, opFixture, type Tolerance } from '../train-reference/fixtures.js';
import { downloadArray, downloadBatch, emptyBatch, limits, placeBatches, randomArray, rng, run, uploadArray, uploadBatch } from './harness.js';

/** The loss value sums n f32 terms in a fixed tree: 1e-6 relative. The gradient is one multiply per element. */
const LOSS_RTOL = 1e-6;
const GRAD: Tolerance = { rtol: 1e-6, ofMax: 1e-7 };
/**
 * Adam in f32 against float64: the moments are f32 sums of a few terms (1e-6 relative); the
 * parameter is p − lr·m̂/(√v̂ + eps), rounded to f32 at every step (2^-24 ≈ 6e-8 of |p| each
 * time, and as much again where the stored f32 inputs round the other way), and its update
 * carries the moments' 1e-6: |Δ| ≤ 2.4e-7·t·|p| + 1e-6·lr·t after t steps (each of at most lr).
 */
const MOMENTS: Tolerance = { rtol: 2e-6, ofMax: 1e-7 };

describe('losses (mean over the batch)', () => {
  for (const kind of ['l1', 'mse'] as const) {
    it(`${kind}: value and gradient vs PyTorch`, async () => {
      const f = opFixture(`${kind}_loss`);
      const pred = await uploadBatch(f.t4('pred'));
      const grad = await emptyBatch(pred.batch, pred.channels, pred.height, pred.width);
      const partials = await uploadArray(new Float32Array(lossPartialCount(pred)));
      const out = await uploadArray(new Float32Array(2));
      const lim = await limits();
      await run(
        lossPartials({ kind, prediction: pred, target: await uploadBatch(f.t4('target')), gradient: grad, partials: { buffer: partials, offset: 0 } }, lim),
        lossValue(pred, { buffer: partials, offset: 0 }, { buffer: out, offset: 1 }, lim),
      );
      const want = f.npy('loss').data[0]!;
      const got = (await downloadArray(out, 1, 1))[0]!;
      console.log(`${kind} loss: ${got} vs ${want} (relative ${Math.abs(got / want - 1).toExponential(2)})`);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(LOSS_RTOL * want);
      expectMatches(`${kind} gradient`, await downloadBatch(grad), f.npy('gpred').data, GRAD);
    });
  }

  it('l1 on channel slices of a strided batch, with exact ties (gradient 0 where pred = target)', async () => {
    const [n, c, h, w] = [3, 3, 7, 5];
    const pred = randomArray(rng(40), n * c * h * w);
    const target = Float32Array.from(pred, (v, i) => (i % 3 === 0 ? v : v + 0.1 * Math.sin(i)));
    const placed = await placeBatches(2000, [
      { t: tensor4(n, c, h, w, pred), offset: 16, stride: 4 * h * w },
      { t: tensor4(n, c, h, w, target), offset: 20 + h * w * 3 * 4 + 7, stride: c * h * w },
    ]);
    const [p, t] = placed.refs as [typeof placed.refs[0], typeof placed.refs[0]];
    const grad = await emptyBatch(n, c, h, w);
    const partials = await uploadArray(new Float32Array(lossPartialCount(p)));
    const out = await uploadArray(new Float32Array(1));
    await run(lossPartials({ kind: 'l1', prediction: p, target: t, gradient: grad, partials: { buffer: partials, offset: 0 } }), lossValue(p, { buffer: partials, offset: 0 }, { buffer: out, offset: 0 }));
    const ref = lossRef('l1', pred, target);
    expect(Math.abs((await downloadArray(out, 0, 1))[0]! - ref.value)).toBeLessThanOrEqual(LOSS_RTOL * ref.value);
    expectMatches('strided l1 gradient', await downloadBatch(grad), ref.grad, GRAD);
  });
});

/** Runs `steps` optimizer steps on the GPU; scalars = [loss, Σ g²] per step. */
async function runAdam(param: Float32Array, grads: Float32Array[], settings: Omit<AdamStepSettings, 'step'>, scalars: (t: number) => [number, number]) {
  const size = param.length;
  const bufs = { params: await uploadArray(param), grads: await uploadArray(new Float32Array(size)), expAvg: await uploadArray(new Float32Array(size)), expAvgSq: await uploadArray(new Float32Array(size)) };
  const sc = await uploadArray(new Float32Array(2));
  const { device } = await testDevice();
  for (let t = 0; t < grads.length; t++) {
    device.queue.writeBuffer(bufs.grads, 0, Float32Array.from(grads[t]!));
    device.queue.writeBuffer(sc, 0, Float32Array.from(scalars(t)));
    await run(adam({ ...bufs, scalars: sc, count: size, settings: { ...settings, step: t + 1 } }, await limits()));
  }
  return {
    param: await downloadArray(bufs.params, 0, size),
    expAvg: await downloadArray(bufs.expAvg, 0, size),
    expAvgSq: await downloadArray(bufs.expAvgSq, 0, size),
  };
}

const paramTolerance = (lr: number, t: number) => ({ rtol: 2.4e-7 * t, atol: 1e-6 * lr * t });

function expectParam(what: string, got: Float32Array, want: ArrayLike<number>, tol: { rtol: number; atol: number }) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    const allowed = tol.atol + tol.rtol * Math.abs(want[i]!);
    worst = Math.max(worst, d / allowed);
    if (!(d <= allowed)) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|Δ| ${d} > ${allowed})`);
  }
  console.log(`${what}: ${(100 * worst).toFixed(0)}% of the tolerance (rtol ${tol.rtol}, atol ${tol.atol.toExponential(1)})`);
}

describe('Adam and AdamW', () => {
  for (const name of ['adam_t1', 'adam_t10']) {
    it(`${name} vs PyTorch: parameter and both moments`, async () => {
      const f = opFixture(name);
      const meta = f.meta as { t: number; lr: number; betas: [number, number]; eps: number };
      const all = f.npy('grads').data;
      const size = all.length / meta.t;
      const grads = Array.from({ length: meta.t }, (_, t) => all.slice(t * size, (t + 1) * size));
      const got = await runAdam(f.npy('param').data, grads, { lr: meta.lr, betas: meta.betas, eps: meta.eps, weightDecay: 0, decoupled: false, maxNorm: 0 }, () => [0.5, 1]);
      expectParam(`${name} param`, got.param, f.npy('param_after').data, paramTolerance(meta.lr, meta.t));
      expectMatches(`${name} exp_avg`, got.expAvg, f.npy('exp_avg').data, MOMENTS);
      expectMatches(`${name} exp_avg_sq`, got.expAvgSq, f.npy('exp_avg_sq').data, MOMENTS);
    });
  }

  for (const [decoupled, maxNorm] of [[false, 0], [true, 0], [false, 0.5], [true, 0.05]] as const) {
    it(`${decoupled ? 'AdamW' : 'Adam'} with weight decay${maxNorm ? `, gradients clipped to norm ${maxNorm}` : ''} vs the float64 reference (5 steps)`, async () => {
      const size = 300;
      const param = randomArray(rng(60), size);
      const grads = Array.from({ length: 5 }, (_, t) => randomArray(rng(61 + t), size, 0.01 * (t + 1)));
      const s = { lr: 2e-3, betas: [0.9, 0.99] as const, eps: 1e-8, weightDecay: 0.05 };
      let p: Float64Array = Float64Array.from(param);
      let state: AdamState = adamState(size);
      const norms: number[] = [];
      for (const g of grads) {
        const clipped = maxNorm ? clipGradNormRef([g], maxNorm) : { totalNorm: 0, grads: [Float64Array.from(g)] };
        norms.push(maxNorm ? clipped.totalNorm : 0);
        ({ param: p, state } = (decoupled ? adamwStep : adamStep)(p, clipped.grads[0]!, state, s));
      }
      const got = await runAdam(param, grads, { ...s, decoupled, maxNorm }, (t) => [1, norms[t]! ** 2]);
      expectParam('param', got.param, p, paramTolerance(s.lr, 5));
      expectMatches('exp_avg', got.expAvg, state.expAvg, MOMENTS);
      expectMatches('exp_avg_sq', got.expAvgSq, state.expAvgSq, MOMENTS);
    });
  }

  it('the squared gradient norm comes from the deterministic reduction', async () => {
    const g = randomArray(rng(70), 10_000);
    const t = { buffer: await uploadArray(g), offset: 0, batch: 1, batchStride: g.length, channels: 1, height: 1, width: g.length };
    const chunks = reduceChunks(t).count;
    const partials = await uploadArray(new Float32Array(chunks));
    const out = await uploadArray(new Float32Array(1));
    await run(channelPartials({ mode: 'sum_squares', a: t, partials: { buffer: partials, offset: 0 } }), reducePartials({ partials: { buffer: partials, offset: 0 }, groups: 1, count: chunks, output: { buffer: out, offset: 0 } }));
    const want = g.reduce((s, v) => s + v * v, 0);
    expect(Math.abs((await downloadArray(out, 0, 1))[0]! / want - 1)).toBeLessThan(1e-6);
  });

  it('skips the update when the loss or the gradient norm is not finite', async () => {
    const param = randomArray(rng(80), 50);
    for (const scalars of [[NaN, 1], [Infinity, 1], [1, NaN], [1, Infinity]] as [number, number][]) {
      const got = await runAdam(param, [randomArray(rng(81), 50)], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false, maxNorm: 0 }, () => scalars);
      expect(got.param).toEqual(param);
      expect([...got.expAvg].every((v) => v === 0)).toBe(true);
    }
  });

  it('refuses settings torch would not take', () => {
    const buf = {} as GPUBuffer;
    const call = (s: Partial<AdamStepSettings>) =>
      adam({ params: buf, grads: { ...buf }, expAvg: { ...buf }, expAvgSq: { ...buf }, scalars: { ...buf }, count: 1, settings: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false, maxNorm: 0, step: 1, ...s } });
    expect(() => call({ lr: -1 })).toThrow(/lr must be/);
    expect(() => call({ betas: [0.9, 1] })).toThrow(/betas must be/);
    expect(() => call({ eps: 0 })).toThrow(/eps must be/);
    expect(() => call({ step: 0 })).toThrow(/steps count from 1/);
  });
});
