import { describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../src/graph/fold-batch-norm.js';
import type { BatchNormParams } from '../../src/graph/ir.js';
import { conv2d, packConv2dWeights } from '../../src/kernels/conv2d.js';
import { expectClose } from '../helpers/compare.js';
import { testDevice } from '../helpers/gpu.js';
import { batchNormEvalRef } from '../reference/batch-norm.js';
import { conv2dRef } from '../reference/conv2d.js';
import type { Tensor3 } from '../reference/tensor.js';
import { fixtureArray, fixtureTensor } from '../kernels/fixtures.js';
import { download, empty, limits, randomArray, randomTensor, rng, run, upload } from '../kernels/harness.js';

async function gpuConv(x: Tensor3, weight: Float32Array, shape: number[], bias: Float32Array): Promise<Tensor3> {
  const { device } = await testDevice();
  const output = await empty(shape[0]!, x.height, x.width);
  await run(conv2d({ input: await upload(x), weights: packConv2dWeights(device, { weight, shape, bias }), output }, await limits()));
  return download(output);
}

describe('foldBatchNorm', () => {
  const name = 'batch_norm_eval';
  const bn: Omit<BatchNormParams, 'name'> = {
    weight: fixtureArray(name, 'weight.npy'),
    bias: fixtureArray(name, 'bias.npy'),
    runningMean: fixtureArray(name, 'running_mean.npy'),
    runningVar: fixtureArray(name, 'running_var.npy'),
    eps: 1e-5,
  };

  it('an identity 1×1 conv followed by the batch_norm_eval fixture, folded, matches PyTorch', async () => {
    const x = fixtureTensor(name, 'a.npy');
    const want = fixtureTensor(name, 'out.npy');
    const c = x.channels;
    const identity = Float32Array.from({ length: c * c }, (_, i) => (Math.floor(i / c) === i % c ? 1 : 0));
    // |Δ| ≤ 1e-6 + 1e-5·|ref|: PyTorch normalises then scales; the fold scales the weight first.
    expectClose(batchNormEvalRef(x, bn).data, want.data, 1e-6, 1e-5, 'reference');
    const folded = foldBatchNorm({ weight: identity, shape: [c, c, 1, 1] }, bn);
    expectClose((await gpuConv(x, folded.weight, [c, c, 1, 1], folded.bias)).data, want.data, 1e-6, 1e-5);
  });

  it('a 3×3 conv with bias followed by batch norm equals the folded conv', async () => {
    const rand = rng(600);
    const x = randomTensor(rand, 5, 7, 9);
    const shape = [6, 5, 3, 3];
    const weight = randomArray(rand, 6 * 5 * 9, 0.3);
    const bias = randomArray(rand, 6);
    const folded = foldBatchNorm({ weight, shape, bias }, bn);
    const want = batchNormEvalRef(conv2dRef(x, weight, shape, bias), bn);
    // Conv tolerance (see conv2d.test.ts) scaled by the largest BN factor weight/sqrt(var+eps).
    const scale = Math.max(...bn.weight.map((w, i) => Math.abs(w) / Math.sqrt(bn.runningVar[i]! + bn.eps)));
    expectClose((await gpuConv(x, folded.weight, shape, folded.bias)).data, want.data, 1e-6 * Math.sqrt(45) * Math.max(1, scale), 1e-5);
  });

  it('names the mismatch when shapes disagree', () => {
    expect(() => foldBatchNorm({ weight: new Float32Array(20), shape: [5, 4, 1, 1] }, bn, 'features.3')).toThrow(/features\.3.*weight has 6 values for 5/);
  });
});
