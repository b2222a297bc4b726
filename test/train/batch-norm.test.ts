import { describe, expect, it } from 'vitest';
import { batchNormBackwardCalls, batchNormForwardCalls, batchNormScratch } from '../../src/kernels/batch-norm-steps.js';
import type { BatchedRef } from '../../src/kernels/batched.js';
import { batchNormRunningUpdate, batchNormTrainBackward, batchNormTrainForward } from '../reference/batch-norm-train.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';
import { expectMatches, opFixture, type Tolerance } from '../train-reference/fixtures.js';
import { downloadArray, downloadBatch, emptyBatch, limits, placeBatches, randomArray, rng, run, uploadArray, uploadBatch } from './harness.js';

/**
 * BatchNorm2d in training mode (f32) against PyTorch's float64 fixture and the float64
 * reference. y and gx come from per-channel sums over M = N·H·W values (f32, fixed tree order),
 * divided by a standard deviation: 1e-5 of each value plus 1e-5 of the largest. The running
 * statistics are one f32 blend: 1e-6.
 */
const OUT: Tolerance = { rtol: 1e-5, ofMax: 1e-5 };
const RUNNING: Tolerance = { rtol: 1e-6, ofMax: 1e-6 };

async function runBatchNorm(x: BatchedRef, gy: BatchedRef, gamma: Float32Array, beta: Float32Array, runningMean: Float32Array, runningVar: Float32Array, gxBefore?: Tensor4) {
  const c = x.channels;
  // γ, β somewhere inside a larger weights buffer; running stats likewise.
  const weights = await uploadArray(Float32Array.from([9, 9, ...gamma, 7, ...beta]));
  const running = await uploadArray(Float32Array.from([...runningMean, 3, ...runningVar]));
  const stats = { buffer: await uploadArray(new Float32Array(5 * c + 4)), channels: c, offset: 4 };
  const scratch = { buffer: await uploadArray(new Float32Array(batchNormScratch(x) + 8)), offset: 8 };
  const grads = await uploadArray(new Float32Array(2 * c + 1));
  const y = await emptyBatch(x.batch, c, x.height, x.width);
  const gx = gxBefore ? await uploadBatch(gxBefore) : await emptyBatch(x.batch, c, x.height, x.width);
  const common = { x, stats, weights: { buffer: weights, gamma: 2, beta: 3 + c }, scratch };
  const lim = await limits();
  await run(
    ...batchNormForwardCalls({ ...common, y, running: { buffer: running, mean: 0, variance: c + 1 }, eps: 1e-5, momentum: 0.1 }, lim),
    ...batchNormBackwardCalls({ ...common, gy, gx, accumulate: gxBefore !== undefined, grads: { buffer: grads, gamma: 1, beta: 1 + c } }, lim),
  );
  return {
    y: await downloadBatch(y),
    gx: await downloadBatch(gx),
    ggamma: await downloadArray(grads, 1, c),
    gbeta: await downloadArray(grads, 1 + c, c),
    runningMean: await downloadArray(running, 0, c),
    runningVar: await downloadArray(running, c + 1, c),
  };
}

describe('BatchNorm2d, training mode', () => {
  it('forward, backward and running statistics vs PyTorch', async () => {
    const f = opFixture('batch_norm_train');
    const got = await runBatchNorm(await uploadBatch(f.t4('x')), await uploadBatch(f.t4('gy')), f.npy('gamma').data, f.npy('beta').data, f.npy('running_mean').data, f.npy('running_var').data);
    expectMatches('bn y', got.y, f.npy('y').data, OUT);
    expectMatches('bn gx', got.gx, f.npy('gx').data, OUT);
    expectMatches('bn ggamma', got.ggamma, f.npy('ggamma').data, OUT);
    expectMatches('bn gbeta', got.gbeta, f.npy('gbeta').data, OUT);
    expectMatches('bn running_mean', got.runningMean, f.npy('running_mean_after').data, RUNNING);
    expectMatches('bn running_var', got.runningVar, f.npy('running_var_after').data, RUNNING);
  });

  it('a strided slice with an offset mean, batch 3, odd sizes, accumulating gx, vs the reference', async () => {
    const [n, c, h, w] = [3, 5, 7, 9];
    const size = n * c * h * w;
    // A large common offset: the two-pass variance must not lose it.
    const x = tensor4(n, c, h, w, Float32Array.from(randomArray(rng(90), size), (v) => 40 + 2 * v));
    const gy = tensor4(n, c, h, w, randomArray(rng(91), size));
    const before = tensor4(n, c, h, w, randomArray(rng(92), size));
    const gamma = randomArray(rng(93), c);
    const beta = randomArray(rng(94), c);
    const rm = randomArray(rng(95), c);
    const rv = Float32Array.from(randomArray(rng(96), c), (v) => 1 + v * v);
    const placed = await placeBatches(4 + n * 8 * h * w, [{ t: x, offset: 4 + 2 * h * w, stride: 8 * h * w }]);
    const got = await runBatchNorm(placed.refs[0]!, await uploadBatch(gy), gamma, beta, rm, rv, before);
    const fwd = batchNormTrainForward(x, gamma, beta);
    const bwd = batchNormTrainBackward(fwd.stats, gamma, gy);
    const running = batchNormRunningUpdate({ mean: rm, variance: rv }, fwd.stats, n * h * w);
    expectMatches('y', got.y, fwd.y.data, OUT);
    expectMatches('gx (accumulated)', got.gx, bwd.gx.data.map((v, i) => v + before.data[i]!), OUT);
    expectMatches('ggamma', got.ggamma, bwd.ggamma, OUT);
    expectMatches('gbeta', got.gbeta, bwd.gbeta, OUT);
    expectMatches('running_mean', got.runningMean, running.mean, RUNNING);
    expectMatches('running_var', got.runningVar, running.variance, RUNNING);
  });

  it('refuses a batch with one value per channel', async () => {
    const x = await emptyBatch(1, 2, 1, 1);
    expect(() =>
      batchNormForwardCalls({
        x,
        y: x,
        stats: { buffer: {} as GPUBuffer, channels: 2, offset: 0 },
        weights: { buffer: {} as GPUBuffer, gamma: 0, beta: 2 },
        scratch: { buffer: {} as GPUBuffer, offset: 0 },
        running: { buffer: {} as GPUBuffer, mean: 0, variance: 2 },
        eps: 1e-5,
        momentum: 0.1,
      }),
    ).toThrow(/more than one value per channel/);
  });
});
