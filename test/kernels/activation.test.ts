import { describe, expect, it } from 'vitest';
import { activation, uploadPreluSlopes, type Activation } from '../../src/kernels/activation.js';
import { expectClose } from '../helpers/compare.js';
import { testDevice } from '../helpers/gpu.js';
import { activationRef, type ActivationRef } from '../reference/activation.js';
import type { Tensor3 } from '../reference/tensor.js';
import { fixtureArray, fixtureTensor } from './fixtures.js';
import { download, empty, limits, randomArray, randomTensor, rng, run, upload } from './harness.js';

async function gpu(x: Tensor3, act: Activation, slopes?: Float32Array, inPlace = false): Promise<Tensor3> {
  const { device } = await testDevice();
  const input = await upload(x);
  const output = inPlace ? input : await empty(x.channels, x.height, x.width);
  await run(activation({ input, output, activation: act, slopes: slopes && uploadPreluSlopes(device, slopes) }, await limits()));
  return download(output);
}

// ReLU, LeakyReLU and PReLU are one comparison and at most one f32 multiply: exact (tolerance 0).
// tanh is a transcendental the WGSL spec lets implementations approximate: |Δ| ≤ 2e-6 + 1e-5·|ref|.
const TANH = { atol: 2e-6, rtol: 1e-5 };

describe('activation against PyTorch fixtures', () => {
  it('leaky_relu_0.2', async () => {
    const x = fixtureTensor('leaky_relu_0.2', 'a.npy');
    const want = fixtureTensor('leaky_relu_0.2', 'out.npy');
    expectClose((await gpu(x, { kind: 'leaky_relu', slope: 0.2 })).data, want.data, 0, 0);
  });

  it('prelu_per_channel', async () => {
    const x = fixtureTensor('prelu_per_channel', 'a.npy');
    const slopes = fixtureArray('prelu_per_channel', 'weight.npy');
    const want = fixtureTensor('prelu_per_channel', 'out.npy');
    expectClose(activationRef(x, { kind: 'prelu', slopes }).data, want.data, 0, 0, 'reference');
    expectClose((await gpu(x, { kind: 'prelu' }, slopes)).data, want.data, 0, 0);
  });
});

describe('activation against the reference', () => {
  const x = randomTensor(rng(300), 7, 5, 19, 30); // up to ±30: tanh saturates
  const slopes = randomArray(rng(301), 7);
  const cases: [string, Activation, ActivationRef, Float32Array?][] = [
    ['relu', { kind: 'relu' }, { kind: 'relu' }],
    ['leaky_relu 0.1', { kind: 'leaky_relu', slope: 0.1 }, { kind: 'leaky_relu', slope: 0.1 }],
    ['prelu per channel', { kind: 'prelu' }, { kind: 'prelu', slopes }, slopes],
    ['prelu shared', { kind: 'prelu' }, { kind: 'prelu', slopes: Float32Array.of(-0.3) }, Float32Array.of(-0.3)],
  ];
  for (const [name, act, ref, s] of cases) {
    it(name, async () => expectClose((await gpu(x, act, s)).data, activationRef(x, ref).data, 0, 0));
  }

  it('tanh, including saturated inputs', async () => {
    const got = await gpu(x, { kind: 'tanh' });
    expectClose(got.data, activationRef(x, { kind: 'tanh' }).data, TANH.atol, TANH.rtol);
    expect(got.data.every((v) => Math.abs(v) <= 1)).toBe(true);
  });

  it('runs in place', async () => {
    expectClose((await gpu(x, { kind: 'leaky_relu', slope: 0.2 }, undefined, true)).data, activationRef(x, { kind: 'leaky_relu', slope: 0.2 }).data, 0, 0);
  });

  it('rejects PReLU without matching slopes', async () => {
    const { device } = await testDevice();
    const input = await upload(x);
    const output = await empty(7, 5, 19);
    const lim = await limits();
    expect(() => activation({ input, output, activation: { kind: 'prelu' } }, lim)).toThrow(/needs its slopes/);
    expect(() => activation({ input, output, activation: { kind: 'prelu' }, slopes: uploadPreluSlopes(device, new Float32Array(3)) }, lim)).toThrow(/3 PReLU slopes for 7 channels/);
    expect(() => activation({ input, output: { ...input, offset: 1 }, activation: { kind: 'relu' } }, lim)).toThrow();
  });
});
