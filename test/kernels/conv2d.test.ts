import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conv2d, conv2dFlops, packConv2dWeights, type Activation, type Conv2dDesc, type InputTransform } from '../../src/kernels/conv2d.js';
import { packConv2dArray } from '../../src/kernels/conv2d-weights.js';
import { expectClose } from '../helpers/compare.js';
import { offeredConvKernels } from '../helpers/conv-kernels.js';
import { offeredConvVariants, type ConvKernelName } from '../../src/kernels/conv2d-variants.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { activationRef, type ActivationRef } from '../reference/activation.js';
import { conv2dRef } from '../reference/conv2d.js';
import { pixelUnshuffleRef } from '../reference/pixel-unshuffle.js';
import { scaledAddRef } from '../reference/scaled-add.js';
import { tensor3, type Tensor3 } from '../reference/tensor.js';
import { upsampleNearestRef } from '../reference/upsample-nearest.js';
import { convTolerance, download, downloadAll, empty, limits, placeTensors, randomArray, randomTensor, rng, run, SENTINEL, upload } from './harness.js';

const OPS = path.resolve(import.meta.dirname, '../fixtures/ops');

/** Every conv kernel the test adapter offers for f32 activations: each runs the fixtures, the sweep and the fused paths. */
const KERNELS = await offeredConvKernels('f32');
it('the test adapter offers the register tile and the implicit GEMM for f32', async () => {
  expect(offeredConvVariants((await testDevice()).device, 'f32').map((v) => v.name)).toEqual(['register-tile', 'gemm']);
});

interface ConvCase {
  cin: number;
  cout: number;
  k: number;
  x: Tensor3; // the conv's input (after any transform)
  weight: Float32Array;
  bias?: Float32Array;
}

function randomConv(seed: number, cin: number, cout: number, k: number, h: number, w: number, bias = true): ConvCase {
  const rand = rng(seed);
  // Kaiming-like weight scale keeps outputs O(1) whatever cin·k² is.
  const weight = randomArray(rand, cout * cin * k * k, Math.sqrt(3 / (cin * k * k)));
  return { cin, cout, k, x: randomTensor(rand, cin, h, w), weight, bias: bias ? randomArray(rand, cout) : undefined };
}

async function pack(c: ConvCase, preluSlopes?: Float32Array, subgroups = true) {
  const { device } = await testDevice();
  const source = { weight: c.weight, shape: [c.cout, c.cin, c.k, c.k], bias: c.bias, preluSlopes, label: 'test conv' };
  return subgroups ? packConv2dWeights(device, source) : packConv2dWeights(device, source, 0);
}

/**
 * Both weight-loading paths: shared over subgroups (what the test device, lavapipe, uses) and
 * per invocation (devices without subgroups), forced by packing as if there were none.
 */
const LOADING = [
  { name: 'subgroup-shared weights', subgroups: true },
  { name: 'per-invocation weights', subgroups: false },
] as const;

async function gpuConv(c: ConvCase, subgroups: boolean, kernel: ConvKernelName): Promise<Tensor3> {
  const input = await upload(c.x);
  const output = await empty(c.cout, c.x.height, c.x.width);
  await run(conv2d({ input, weights: await pack(c, undefined, subgroups), output }, await limits(), kernel));
  return download(output);
}

it('the test device shares weight loads over subgroups (so both paths below are exercised)', async () => {
  expect((await pack(randomConv(1, 4, 4, 3, 2, 2))).tile.subgroup).toBeGreaterThan(0);
});

const refConv = (c: ConvCase) => conv2dRef(c.x, c.weight, [c.cout, c.cin, c.k, c.k], c.bias);

for (const kernel of KERNELS) describe(`conv2d against PyTorch fixtures [${kernel}]`, () => {
  const cases = readdirSync(OPS).filter((d) => d.startsWith('conv2d_'));
  it('has the fixture cases', () => expect(cases.length).toBeGreaterThanOrEqual(8));
  for (const name of cases) {
    it(name, async () => {
      const a = readNpy(path.join(OPS, name, 'a.npy'));
      const weight = readNpy(path.join(OPS, name, 'weight.npy'));
      const bias = readNpy(path.join(OPS, name, 'bias.npy'));
      const want = readNpy(path.join(OPS, name, 'out.npy'));
      const [cout, cin, k] = weight.shape as [number, number, number];
      const c: ConvCase = { cin, cout, k, x: tensor3(cin, a.shape[2]!, a.shape[3]!, a.data), weight: weight.data, bias: bias.data };
      const { atol, rtol } = convTolerance(cin, k);
      // The reference agrees with PyTorch (so the sweeps below, checked against it, mean something)…
      expectClose(refConv(c).data, want.data, atol, rtol, `${name} reference`);
      // …and so does the kernel, with either way of loading weights.
      for (const { name: how, subgroups } of LOADING) expectClose((await gpuConv(c, subgroups, kernel)).data, want.data, atol, rtol, `${name}, ${how}`);
    });
  }
});

for (const kernel of KERNELS) describe(`conv2d against the reference on odd, non-square shapes [${kernel}]`, () => {
  const shapes: [number, number, number, number, number][] = [
    // cin, cout, k, H, W
    [3, 64, 3, 7, 5],
    [12, 3, 3, 5, 9],
    [48, 64, 3, 6, 11],
    [64, 32, 3, 9, 4],
    [96, 32, 3, 5, 7],
    [128, 32, 3, 3, 13],
    [160, 32, 3, 7, 3],
    [192, 64, 3, 4, 6],
    [64, 256, 3, 3, 5],
    [256, 48, 1, 5, 7],
    [64, 12, 1, 6, 1],
    [3, 64, 9, 10, 7],
    [64, 3, 9, 6, 9],
    [160, 96, 3, 2, 17],
    [5, 7, 3, 1, 1],
    [64, 128, 3, 11, 2],
  ];
  for (const { name: how, subgroups } of LOADING) {
    shapes.forEach(([cin, cout, k, h, w], i) => {
      it(`${cin}→${cout} k${k} ${h}×${w}, ${how}`, async () => {
        const c = randomConv(100 + i, cin, cout, k, h, w, i % 3 !== 1);
        const { atol, rtol } = convTolerance(cin, k);
        expectClose((await gpuConv(c, subgroups, kernel)).data, refConv(c).data, atol, rtol);
      });
    });
  }
});

/** Runs one fused conv on the GPU, the CPU composition it replaces, and compares. */
async function checkFused(kernel: ConvKernelName, opts: {
  c: ConvCase;
  source: Tensor3; // what the GPU kernel reads (before its input transform)
  transform?: InputTransform;
  activation?: Activation;
  actRef?: ActivationRef;
  preluSlopes?: Float32Array;
  residual?: { alpha: number; beta: number; gamma?: number; r1: Tensor3; r2?: Tensor3 };
}) {
  const { c } = opts;
  const weights = await pack(c, opts.preluSlopes);
  const input = await upload(opts.source);
  const output = await empty(c.cout, c.x.height, c.x.width);
  let residual: Conv2dDesc['residual'];
  if (opts.residual) {
    const r = opts.residual;
    residual = { alpha: r.alpha, beta: r.beta, gamma: r.gamma, r1: await upload(r.r1), r2: r.r2 && (await upload(r.r2)) };
  }
  await run(conv2d({ input, inputTransform: opts.transform, weights, output, activation: opts.activation, residual }, await limits(), kernel));
  let want = activationRef(refConv(c), opts.actRef ?? { kind: 'none' });
  if (opts.residual) {
    const r = opts.residual;
    want = scaledAddRef(r.alpha, want, r.beta, r.r1);
    if (r.r2) want = scaledAddRef(1, want, r.gamma!, r.r2);
  }
  const { atol, rtol } = convTolerance(c.cin, c.k);
  expectClose((await download(output)).data, want.data, atol, rtol);
}

for (const kernel of KERNELS) describe(`conv2d fused paths against the unfused composition [${kernel}]`, () => {
  it('reads a channel prefix of a larger buffer, ignoring the channels after it', async () => {
    const c = randomConv(1, 64, 32, 3, 7, 9);
    const rest = randomTensor(rng(2), 32, 7, 9, 1e6); // would wreck the result if read
    const { refs } = await placeTensors(96 * 63, [
      { t: c.x, offset: 0 },
      { t: rest, offset: 64 * 63 },
    ]);
    const output = await empty(32, 7, 9);
    await run(conv2d({ input: refs[0]!, weights: await pack(c), output }, await limits(), kernel));
    const { atol, rtol } = convTolerance(64, 3);
    expectClose((await download(output)).data, refConv(c).data, atol, rtol);
  });

  it('writes a channel slice of its own input buffer (dense block), touching nothing else', async () => {
    // Buffer: [pad 5][x: 64 ch][slice: 32 ch][pad 7]; the conv reads x and writes the slice.
    const c = randomConv(3, 64, 32, 3, 5, 11);
    const plane = 5 * 11;
    const total = 5 + 96 * plane + 7;
    const { buffer, refs } = await placeTensors(total, [
      { t: c.x, offset: 5 },
      { t: { channels: 32, height: 5, width: 11 }, offset: 5 + 64 * plane },
    ]);
    await run(conv2d({ input: refs[0]!, weights: await pack(c), output: refs[1]! }, await limits(), kernel));
    const all = await downloadAll(buffer, total);
    const { atol, rtol } = convTolerance(64, 3);
    expectClose(all.subarray(5 + 64 * plane, 5 + 96 * plane), refConv(c).data, atol, rtol, 'slice');
    expectClose(all.subarray(5, 5 + 64 * plane), c.x.data, 0, 0, 'input channels');
    expect([...all.subarray(0, 5), ...all.subarray(5 + 96 * plane)].every((v) => v === SENTINEL)).toBe(true);
  });

  it('with weights padded to the widest tile (an RGB output layer), writes only its 3 channels', async () => {
    // Buffer: [pad 5][out: 3 ch][pad 7]; the padded zero channels must not be stored.
    const c = randomConv(4, 64, 3, 3, 9, 10);
    const plane = 9 * 10;
    const total = 5 + 3 * plane + 7;
    const { buffer, refs } = await placeTensors(total, [{ t: { channels: 3, height: 9, width: 10 }, offset: 5 }]);
    const { device } = await testDevice();
    const weights = packConv2dWeights(device, { weight: c.weight, shape: [3, 64, 3, 3], bias: c.bias, padToWidestTile: true });
    expect(weights.coutGroups).toBe(weights.tile.cv);
    expect(weights.tile.cv).toBeGreaterThan(1);
    await run(conv2d({ input: await upload(c.x), weights, output: refs[0]! }, await limits(), kernel));
    const all = await downloadAll(buffer, total);
    const { atol, rtol } = convTolerance(64, 3);
    expectClose(all.subarray(5, 5 + 3 * plane), refConv(c).data, atol, rtol, 'output');
    expect([...all.subarray(0, 5), ...all.subarray(5 + 3 * plane)].every((v) => v === SENTINEL)).toBe(true);
  });

  for (const f of [2, 3]) {
    it(`reads a nearest-upsampled (×${f}) input without materialising it`, async () => {
      const rand = rng(10 + f);
      const source = randomTensor(rand, 64, 5, 7);
      const c = { ...randomConv(20 + f, 64, 48, 3, 1, 1), x: upsampleNearestRef(source, f) };
      await checkFused(kernel, { c, source, transform: { kind: 'upsample_nearest', factor: f }, activation: { kind: 'leaky_relu', slope: 0.2 }, actRef: { kind: 'leaky_relu', slope: 0.2 } });
    });
  }

  for (const r of [2, 4] as const) {
    it(`reads a pixel-unshuffled (r=${r}) input without materialising it`, async () => {
      const source = randomTensor(rng(30 + r), 3, 4 * r, 3 * r);
      const c = { ...randomConv(40 + r, 3 * r * r, 64, 3, 1, 1), x: pixelUnshuffleRef(source, r) };
      await checkFused(kernel, { c, source, transform: { kind: 'pixel_unshuffle', factor: r } });
    });
  }

  const activations: [string, Activation, ActivationRef, Float32Array?][] = [
    ['relu', { kind: 'relu' }, { kind: 'relu' }],
    ['leaky_relu 0.2', { kind: 'leaky_relu', slope: 0.2 }, { kind: 'leaky_relu', slope: 0.2 }],
    ['tanh', { kind: 'tanh' }, { kind: 'tanh' }],
  ];
  const perChannel = randomArray(rng(50), 10);
  activations.push(['prelu per channel', { kind: 'prelu' }, { kind: 'prelu', slopes: perChannel }, perChannel]);
  activations.push(['prelu shared slope', { kind: 'prelu' }, { kind: 'prelu', slopes: Float32Array.of(0.25) }, Float32Array.of(0.25)]);
  for (const [name, activation, actRef, slopes] of activations) {
    it(`applies ${name} after the bias`, async () => {
      // 12 → 10 channels: the last vec4 group is partly empty.
      const c = randomConv(60, 12, 10, 3, 6, 7);
      // Scale the input so tanh sees saturated values too.
      c.x.data.forEach((v, i) => (c.x.data[i] = v * 4));
      await checkFused(kernel, { c, source: c.x, activation, actRef, preluSlopes: slopes });
    });
  }

  it('adds one residual: 0.2·y + x (RRDB)', async () => {
    const c = randomConv(70, 48, 64, 3, 5, 6);
    await checkFused(kernel, { c, source: c.x, residual: { alpha: 0.2, beta: 1, r1: randomTensor(rng(71), 64, 5, 6) } });
  });

  it('adds two residuals after an activation: 0.04·act(y) + 0.2·x3 + x0 (nested RRDB)', async () => {
    const c = randomConv(72, 96, 64, 3, 4, 9);
    await checkFused(kernel, {
      c,
      source: c.x,
      activation: { kind: 'leaky_relu', slope: 0.2 },
      actRef: { kind: 'leaky_relu', slope: 0.2 },
      residual: { alpha: 0.04, beta: 0.2, gamma: 1, r1: randomTensor(rng(73), 64, 4, 9), r2: randomTensor(rng(74), 64, 4, 9) },
    });
  });

  it('adds a residual read from its own output range (in place)', async () => {
    const c = randomConv(75, 32, 16, 3, 5, 5);
    const x0 = randomTensor(rng(76), 16, 5, 5);
    const input = await upload(c.x);
    const output = await upload(x0);
    await run(conv2d({ input, weights: await pack(c), output, residual: { alpha: 0.2, beta: 1, r1: output } }, await limits(), kernel));
    const { atol, rtol } = convTolerance(32, 3);
    expectClose((await download(output)).data, scaledAddRef(0.2, refConv(c), 1, x0).data, atol, rtol);
  });
});

describe('conv2d validation', () => {
  it('rejects shapes that do not fit, naming the conv', async () => {
    const c = randomConv(80, 16, 8, 3, 4, 4);
    const weights = await pack(c);
    const lim = await limits();
    const input = await upload(c.x);
    const output = await empty(8, 4, 4);
    const good: Conv2dDesc = { input, weights, output, label: 'body.0' };
    expect(() => conv2d(good, lim)).not.toThrow();
    expect(() => conv2d({ ...good, input: { ...input, channels: 12 } }, lim)).toThrow(/body\.0.*12 input channels.*expect 16/);
    expect(() => conv2d({ ...good, output: { ...output, channels: 4 } }, lim)).toThrow(/output is \[4, 4, 4\]/);
    expect(() => conv2d({ ...good, output: { ...output, offset: 1 } }, lim)).toThrow(/past the end/);
    expect(() => conv2d({ ...good, output: { ...input, channels: 8 } }, lim)).toThrow(/overlaps the input/);
    expect(() => conv2d({ ...good, activation: { kind: 'prelu' } }, lim)).toThrow(/without slopes/);
    expect(() => conv2d({ ...good, inputTransform: { kind: 'pixel_unshuffle', factor: 4 }, input: { ...input, channels: 1, width: 3 } }, lim)).toThrow(/divisible by 4/);
    const shifted = { ...output, offset: 1, buffer: (await empty(9, 4, 4)).buffer };
    expect(() => conv2d({ ...good, output: shifted, residual: { alpha: 1, beta: 1, r1: { ...shifted, offset: 0 } } }, lim)).toThrow(/partly overlaps/);
    expect(() => conv2d(good, { ...lim, maxStorageBufferBindingSize: 64 } as GPUSupportedLimits)).toThrow(/binds at most 64 bytes/);
  });

  it('counts FLOPs after the input transform', async () => {
    const c = randomConv(81, 16, 8, 3, 4, 4);
    const weights = await pack(c);
    const input = await upload(c.x);
    expect(conv2dFlops({ input, weights })).toBe(2 * 16 * 8 * 9 * 16);
    expect(conv2dFlops({ input, weights, inputTransform: { kind: 'upsample_nearest', factor: 2 } })).toBe(2 * 16 * 8 * 9 * 64);
  });
});

describe('packConv2dArray', () => {
  // cout 5 (two groups, the second 1/4 full), cin 2, k 1: weight[co][ci] = 10·co + ci.
  const weight1x1 = Float32Array.from({ length: 10 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2));
  const slopesAndBias = { bias: Float32Array.of(1, 2, 3, 4, 5), preluSlopes: Float32Array.of(0.5) };
  const tail = [/* bias */ 1, 2, 3, 4, 5, 0, 0, 0, /* slopes */ 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0];

  it('stores vec4s across output channels, one group after the other without tiles, then bias and slopes', () => {
    const { data, layout } = packConv2dArray({ weight: weight1x1, shape: [5, 2, 1, 1], ...slopesAndBias }, 0);
    expect(layout).toMatchObject({ coutGroups: 2, tile: { cv: 2 }, tileStride: 4, biasOffset: 4, preluOffset: 6, hasBias: true, hasPrelu: true });
    // Tiles of 2 groups: for each input channel, group 0 then group 1.
    expect([...data]).toEqual([0, 10, 20, 30, /* group 1 */ 40, 0, 0, 0, /* ci 1 */ 1, 11, 21, 31, 41, 0, 0, 0, ...tail]);
  });

  it('keeps each input channel’s weights of a tile contiguous, kernel row by kernel row above 3×3', () => {
    // cout 8 (2 groups, one tile), cin 2, k 5 (one kernel row per block): the value encodes (co, ci, ky, kx).
    const k = 5;
    const weight = Float32Array.from({ length: 8 * 2 * k * k }, (_, i) => i);
    const { data, layout } = packConv2dArray({ weight, shape: [8, 2, k, k] }, 8);
    expect(layout.tile).toMatchObject({ cv: 2, py: 1 });
    const at = (co: number, ci: number, ky: number, kx: number) => {
      const [g, lane] = [co >> 2, co & 3];
      return 4 * (ci * k * k * 2 + ky * k * 2 + g * k + kx) + lane;
    };
    for (const co of [0, 3, 4, 7]) for (const ci of [0, 1]) for (const [ky, kx] of [[0, 0], [2, 3], [4, 4]] as const) {
      expect(data[at(co, ci, ky, kx)]).toBe(((co * 2 + ci) * k + ky) * k + kx);
    }
  });

  it('pads a narrow conv with zero groups up to the widest tile when asked', () => {
    const { data, layout } = packConv2dArray({ weight: weight1x1.subarray(0, 6), shape: [3, 2, 1, 1], bias: Float32Array.of(1, 2, 3), padToWidestTile: true }, 8);
    expect(layout).toMatchObject({ coutGroups: 4, tile: { cv: 4 }, tileStride: 8, biasOffset: 8 });
    expect([...data]).toEqual([
      0, 10, 20, 0, ...new Array(12).fill(0), /* ci 1 */ 1, 11, 21, 0, ...new Array(12).fill(0),
      /* bias */ 1, 2, 3, 0, ...new Array(12).fill(0),
    ]);
  });

  it('rejects weights that do not match their shape, naming them', () => {
    expect(() => packConv2dArray({ weight: new Float32Array(7), shape: [2, 2, 1, 1], label: 'conv_first' })).toThrow(/conv_first.*7 values/);
    expect(() => packConv2dArray({ weight: new Float32Array(8), shape: [2, 1, 2, 2] })).toThrow(/square odd/);
    expect(() => packConv2dArray({ weight: new Float32Array(4), shape: [2, 2, 1, 1], bias: new Float32Array(3) })).toThrow(/bias has 3/);
  });
});
