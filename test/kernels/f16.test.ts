import { describe, expect, it } from 'vitest';
import { activation, uploadPreluSlopes } from '../../src/kernels/activation.js';
import { createTensorBuffer, readFloat32 } from '../../src/gpu/buffers.js';
import { concat } from '../../src/kernels/concat.js';
import { conv2d, packConv2dWeights, type Activation, type InputTransform } from '../../src/kernels/conv2d.js';
import { F16_MAX } from '../../src/kernels/element.js';
import { pixelShuffle, pixelUnshuffle, upsampleNearest } from '../../src/kernels/rearrange.js';
import { scaledAdd } from '../../src/kernels/scaled-add.js';
import type { TensorRef } from '../../src/kernels/tensor.js';
import { float32ToFloat16Bits } from '../../src/half.js';
import { decodeToFloat32 } from '../../src/weights/dtypes.js';
import { expectClose } from '../helpers/compare.js';
import { error } from '../helpers/errors.js';
import { testDevice } from '../helpers/gpu.js';
import { activationRef, type ActivationRef } from '../reference/activation.js';
import { concatRef } from '../reference/concat.js';
import { conv2dRef } from '../reference/conv2d.js';
import { pixelShuffleRef } from '../reference/pixel-shuffle.js';
import { pixelUnshuffleRef } from '../reference/pixel-unshuffle.js';
import { scaledAddRef } from '../reference/scaled-add.js';
import { tensor3, type Tensor3 } from '../reference/tensor.js';
import { upsampleNearestRef } from '../reference/upsample-nearest.js';
import { limits, randomArray, randomTensor, rng, run, upload } from './harness.js';

/**
 * Every kernel with f16 storage. Inputs are rounded to f16 first, so the CPU reference sees
 * exactly what the kernel reads; the kernel computes in f32 and rounds once when it stores.
 * Tolerance: the f32 kernel's (|Δ| ≤ 1e-6·√(cin·k²) + 1e-5·|ref|) plus that one rounding,
 * half an f16 ulp: 2^-11·|ref| (and 2^-25 absolute in f16's subnormal range). Kernels that
 * only move elements must be bit-exact.
 */
const HALF_ULP = 2 ** -11;
const f16Tolerance = (terms: number) => ({ atol: 1e-6 * Math.sqrt(terms) + 2 ** -25, rtol: 1e-5 + HALF_ULP });

const roundToF16 = (values: Float32Array) => decodeToFloat32(new Uint8Array(float32ToFloat16Bits(values).buffer), 'float16', values.length);
const halfTensor = (t: Tensor3): Tensor3 => tensor3(t.channels, t.height, t.width, roundToF16(t.data));

let flagBuffer: GPUBuffer | undefined;
async function overflowFlag(): Promise<GPUBuffer> {
  const { device } = await testDevice();
  flagBuffer ??= createTensorBuffer(device, 4, 'test overflow flag');
  return flagBuffer;
}

async function readFlag(): Promise<number> {
  const { device } = await testDevice();
  return new Uint32Array((await readFloat32(device, await overflowFlag(), 0, 1)).buffer)[0]!;
}

async function clearFlag(): Promise<void> {
  const { device } = await testDevice();
  device.queue.writeBuffer(await overflowFlag(), 0, new Uint32Array(1));
}

/**
 * f16 tensors at the given element offsets of one buffer, the rest filled with a sentinel;
 * odd offsets check that kernels address 2-byte elements, not 4-byte words.
 */
async function placeHalf(total: number, parts: readonly { t: Tensor3 | Pick<Tensor3, 'channels' | 'height' | 'width'>; offset: number }[]): Promise<TensorRef[]> {
  const { device } = await testDevice();
  const host = new Float32Array(total + (total % 2)).fill(-777);
  for (const { t, offset } of parts) if ('data' in t) host.set(t.data, offset);
  const bits = float32ToFloat16Bits(host);
  const buffer = createTensorBuffer(device, bits.byteLength, 'f16 test tensor');
  device.queue.writeBuffer(buffer, 0, bits.buffer, 0, bits.byteLength);
  const half = { overflow: await overflowFlag() };
  return parts.map(({ t, offset }) => ({ buffer, offset, channels: t.channels, height: t.height, width: t.width, half }));
}

const uploadHalf = async (t: Tensor3, offset = 0) => (await placeHalf(offset + t.data.length, [{ t, offset }]))[0]!;
const emptyHalf = async (c: number, h: number, w: number, offset = 0) => (await placeHalf(offset + c * h * w, [{ t: { channels: c, height: h, width: w }, offset }]))[0]!;

async function downloadHalf(ref: TensorRef): Promise<Tensor3> {
  const { device } = await testDevice();
  const count = ref.channels * ref.height * ref.width;
  // Read whole 4-byte words around the tensor, then take its 2-byte elements.
  const firstWord = Math.floor(ref.offset / 2);
  const words = await readFloat32(device, ref.buffer, firstWord, Math.ceil((ref.offset + count) / 2) - firstWord);
  const bytes = new Uint8Array(words.buffer).subarray((ref.offset % 2) * 2, (ref.offset % 2) * 2 + count * 2);
  return tensor3(ref.channels, ref.height, ref.width, decodeToFloat32(bytes, 'float16', count));
}

describe('conv2d with f16 activations', () => {
  interface Case {
    name: string;
    cin: number;
    cout: number;
    k: number;
    h: number;
    w: number;
    transform?: InputTransform;
    activation?: Activation;
    actRef?: ActivationRef;
    prelu?: boolean;
    residuals?: 0 | 1 | 2;
  }
  const cases: Case[] = [
    { name: '3×3 plain, odd sizes', cin: 5, cout: 7, k: 3, h: 9, w: 11 },
    { name: '3×3 LeakyReLU, RRDB-sized channels', cin: 64, cout: 32, k: 3, h: 6, w: 10, activation: { kind: 'leaky_relu', slope: 0.2 }, actRef: { kind: 'leaky_relu', slope: 0.2 } },
    { name: '3×3 + 0.2·y + r1 (RDB conv5)', cin: 24, cout: 16, k: 3, h: 7, w: 5, residuals: 1 },
    { name: '3×3 + 0.04·y + 0.2·r1 + r2 (RRDB nested)', cin: 24, cout: 16, k: 3, h: 7, w: 5, residuals: 2 },
    { name: '3×3 PReLU', cin: 8, cout: 12, k: 3, h: 5, w: 6, prelu: true },
    { name: '3×3 reading a ×2 nearest-upsampled input', cin: 8, cout: 8, k: 3, h: 10, w: 12, transform: { kind: 'upsample_nearest', factor: 2 }, activation: { kind: 'leaky_relu', slope: 0.2 }, actRef: { kind: 'leaky_relu', slope: 0.2 } },
    { name: '3×3 reading a pixel-unshuffled (r=2) input', cin: 12, cout: 8, k: 3, h: 4, w: 6, transform: { kind: 'pixel_unshuffle', factor: 2 } },
    { name: '9×9 tanh (SRGAN)', cin: 6, cout: 3, k: 9, h: 11, w: 13, activation: { kind: 'tanh' }, actRef: { kind: 'tanh' } },
    { name: '1×1', cin: 16, cout: 16, k: 1, h: 5, w: 7 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const rand = rng(c.cin * 31 + c.k);
      // The conv's own input (after the transform) and what the kernel reads (before it).
      const transform = c.transform ?? { kind: 'none' };
      const x = halfTensor(randomTensor(rand, c.cin, c.h, c.w));
      const source =
        transform.kind === 'upsample_nearest'
          ? halfTensor(randomTensor(rand, c.cin, c.h / transform.factor, c.w / transform.factor))
          : transform.kind === 'pixel_unshuffle'
            ? halfTensor(randomTensor(rand, c.cin / transform.factor ** 2, c.h * transform.factor, c.w * transform.factor))
            : x;
      const convInput = transform.kind === 'upsample_nearest' ? upsampleNearestRef(source, transform.factor) : transform.kind === 'pixel_unshuffle' ? pixelUnshuffleRef(source, transform.factor) : x;
      const weight = randomArray(rand, c.cout * c.cin * c.k * c.k, Math.sqrt(3 / (c.cin * c.k * c.k)));
      const bias = randomArray(rand, c.cout, 0.1);
      const slopes = c.prelu ? randomArray(rand, c.cout, 0.3) : undefined;
      const { device } = await testDevice();
      const weights = packConv2dWeights(device, { weight, shape: [c.cout, c.cin, c.k, c.k], bias, preluSlopes: slopes, label: c.name });
      const r1 = halfTensor(randomTensor(rand, c.cout, c.h, c.w));
      const r2 = halfTensor(randomTensor(rand, c.cout, c.h, c.w));
      const residual =
        c.residuals === 1 ? { alpha: 0.2, beta: 1, r1: await uploadHalf(r1, 1) } : c.residuals === 2 ? { alpha: 0.04, beta: 0.2, r1: await uploadHalf(r1, 3), gamma: 1, r2: await uploadHalf(r2) } : undefined;
      // Odd element offsets on purpose.
      const input = await uploadHalf(source, 3);
      const output = await emptyHalf(c.cout, c.h, c.w, 5);
      await clearFlag();
      const act = c.prelu ? ({ kind: 'prelu' } as const) : c.activation;
      await run(conv2d({ input, inputTransform: c.transform, weights, output, activation: act, residual }, await limits()));
      let want = activationRef(conv2dRef(convInput, weight, [c.cout, c.cin, c.k, c.k], bias), c.prelu ? { kind: 'prelu', slopes: slopes! } : (c.actRef ?? { kind: 'none' }));
      if (c.residuals) want = scaledAddRef(residual!.alpha, want, residual!.beta, r1);
      if (c.residuals === 2) want = scaledAddRef(1, want, 1, r2);
      const { atol, rtol } = f16Tolerance(c.cin * c.k * c.k);
      expectClose((await downloadHalf(output)).data, want.data, atol, rtol, c.name);
      expect(await readFlag()).toBe(0);
      weights.buffer.destroy();
    });
  }

  it('a value beyond ±65504 sets the overflow flag and is stored clamped, not as inf', async () => {
    const { device } = await testDevice();
    // Output channel 0 = 40000·x, channel 1 = −40000·x, for x in {0.5, 1, 2}: 2 and −2 overflow.
    const x = tensor3(1, 1, 3, Float32Array.of(0.5, 1, 2));
    const weights = packConv2dWeights(device, { weight: Float32Array.of(40000, -40000), shape: [2, 1, 1, 1], label: 'overflowing' });
    const input = await uploadHalf(x);
    const output = await emptyHalf(2, 1, 3);
    await clearFlag();
    await run(conv2d({ input, weights, output }, await limits()));
    expect(await readFlag()).not.toBe(0);
    expect(Array.from((await downloadHalf(output)).data)).toEqual([20000, 40000, F16_MAX, -20000, -40000, -F16_MAX]);
    weights.buffer.destroy();
  });
});

describe('element-wise kernels with f16 activations', () => {
  it('LeakyReLU and PReLU within one f16 rounding; in range, no overflow', async () => {
    const x = halfTensor(randomTensor(rng(7), 3, 5, 7, 4));
    const slopes = Float32Array.of(0.1, -0.5, 2);
    const { device } = await testDevice();
    for (const [act, ref, s] of [
      [{ kind: 'leaky_relu', slope: 0.2 }, { kind: 'leaky_relu', slope: 0.2 }, undefined],
      [{ kind: 'prelu' }, { kind: 'prelu', slopes }, uploadPreluSlopes(device, slopes)],
    ] as const) {
      const input = await uploadHalf(x, 1);
      const output = await emptyHalf(3, 5, 7);
      await clearFlag();
      await run(activation({ input, output, activation: act, slopes: s }, await limits()));
      expectClose((await downloadHalf(output)).data, activationRef(x, ref).data, 2 ** -25, HALF_ULP, act.kind);
      expect(await readFlag()).toBe(0);
    }
  });

  it('scaled add (with an upsampled y) within one f16 rounding; a sum beyond f16 sets the flag', async () => {
    const x = halfTensor(randomTensor(rng(8), 2, 6, 8));
    const y = halfTensor(randomTensor(rng(9), 2, 3, 4));
    const output = await emptyHalf(2, 6, 8, 1);
    await clearFlag();
    await run(scaledAdd({ x: await uploadHalf(x), y: await uploadHalf(y, 1), a: 0.5, b: 1.5, yUpsample: 2, output }, await limits()));
    expectClose((await downloadHalf(output)).data, scaledAddRef(0.5, x, 1.5, y, 2).data, 2 ** -25, 1e-6 + HALF_ULP);
    expect(await readFlag()).toBe(0);
    await run(scaledAdd({ x: await uploadHalf(x), y: await uploadHalf(y), a: 1e6, b: 0, yUpsample: 2, output }, await limits()));
    expect(await readFlag()).not.toBe(0);
  });

  it('pixel shuffle, unshuffle, nearest upsampling and concat move f16 elements bit-exactly', async () => {
    const rand = rng(10);
    const a = halfTensor(randomTensor(rand, 8, 3, 5));
    const b = halfTensor(randomTensor(rand, 2, 6, 4));
    const c = halfTensor(randomTensor(rand, 3, 3, 5));
    const checks: [string, TensorRef, Tensor3, () => Promise<void>][] = [];
    const shuffled = await emptyHalf(2, 6, 10, 1);
    checks.push(['pixel_shuffle', shuffled, pixelShuffleRef(a, 2), async () => run(pixelShuffle({ input: await uploadHalf(a, 3), output: shuffled, factor: 2 }, await limits()))]);
    const unshuffled = await emptyHalf(8, 3, 2);
    checks.push(['pixel_unshuffle', unshuffled, pixelUnshuffleRef(b, 2), async () => run(pixelUnshuffle({ input: await uploadHalf(b, 1), output: unshuffled, factor: 2 }, await limits()))]);
    const upsampled = await emptyHalf(3, 9, 15, 1);
    checks.push(['upsample_nearest', upsampled, upsampleNearestRef(c, 3), async () => run(upsampleNearest({ input: await uploadHalf(c), output: upsampled, factor: 3 }, await limits()))]);
    const joined = await emptyHalf(11, 3, 5, 1);
    checks.push(['concat', joined, concatRef([a, c]), async () => run(concat({ inputs: [await uploadHalf(a, 1), await uploadHalf(c, 2)], output: joined }, await limits()))]);
    for (const [name, out, want, go] of checks) {
      await go();
      expectClose((await downloadHalf(out)).data, want.data, 0, 0, name);
    }
  });

  it('refuses a dispatch that mixes f32 and f16 tensors', async () => {
    const input = await upload(randomTensor(rng(11), 1, 2, 2));
    const output = await emptyHalf(1, 2, 2);
    const e = error(() => pixelShuffle({ input, output, factor: 1 }));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toMatch(/mixes f32 and f16/);
  });
});
