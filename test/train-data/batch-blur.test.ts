import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { createTensorBuffer, readFloat32, uploadFloat32 } from '../../src/gpu/buffers.js';
import { BufferUsage } from '../../src/gpu/constants.js';
import { BATCH_BLUR_MAX_SIDE, BATCH_BLUR_PARAMS, batchBlur } from '../../src/kernels/batch-blur.js';
import { planar } from '../../src/train/data/planar.js';
import { Rng } from '../../src/rng.js';
import { filter2d } from '../../src/train/degrade/filter.js';
import type { BlurKernel } from '../../src/train/degrade/kernels.js';
import { kernelOf } from '../../src/train/degrade/random-kernel.js';
import { expectClose } from '../helpers/compare.js';
import { testDevice } from '../helpers/gpu.js';
import { run } from '../kernels/harness.js';

/** The kernels of a batch as batch_blur stores them: each centred in a MAX_SIDE² square. */
function packTaps(kernels: readonly BlurKernel[]): Float32Array {
  const m = BATCH_BLUR_MAX_SIDE;
  const out = new Float32Array(kernels.length * m * m);
  kernels.forEach((k, n) => {
    const skip = (m - k.size) / 2;
    for (let i = 0; i < k.size; i++) for (let j = 0; j < k.size; j++) out[n * m * m + (i + skip) * m + j + skip] = k.data[i * k.size + j]!;
  });
  return out;
}

describe('batch_blur (per-image kernels, reflect padding)', () => {
  it('declares the bindings and uniforms its launcher fills (wgsl_reflect)', () => {
    const fake = { size: 1 << 20 } as GPUBuffer;
    const call = batchBlur({ input: fake, output: { size: 1 << 20 } as GPUBuffer, taps: fake, sides: fake, batch: 2, channels: 3, height: 8, width: 8 });
    const reflect = new WgslReflect(call.variant.code);
    const storage = [...reflect.storage].sort((a, b) => a.binding - b.binding);
    expect(storage.map((v) => [v.name, v.binding, v.access])).toEqual([
      ['src', 0, 'read'],
      ['taps', 1, 'read'],
      ['sides', 2, 'read'],
      ['dst', 3, 'read_write'],
    ]);
    const members = (reflect.uniforms[0]!.type as unknown as { members: { name: string; offset: number }[] }).members;
    expect(members.map((m) => [m.name, m.offset])).toEqual(BATCH_BLUR_PARAMS.members.map((m) => [m.name, m.offset]));
    expect(call.workgroups).toEqual([1, 1, 6]);
    expect(() => batchBlur({ input: fake, output: fake, taps: fake, sides: fake, batch: 1, channels: 3, height: 8, width: 8 })).toThrow(/cannot be the input/);
    const limits = { maxComputeWorkgroupsPerDimension: 5 } as GPUSupportedLimits;
    expect(() => batchBlur({ input: fake, output: { size: 1 << 20 } as GPUBuffer, taps: fake, sides: fake, batch: 2, channels: 3, height: 8, width: 8 }, limits)).toThrow(/batch_blur: 2 images × 3 workgroups each need 6 workgroups along z, over this adapter's 5/);
    expect(() => batchBlur({ input: fake, output: { size: 1 << 20 } as GPUBuffer, taps: fake, sides: fake, batch: 0, channels: 3, height: 8, width: 8 })).toThrow(/nothing to blur/);
  });

  it('equals the CPU filter2d for every image of a batch (|Δ| ≤ 1e−6: float32 sums of ≤ 441 terms)', async () => {
    const { device } = await testDevice();
    const [batch, channels, height, width] = [4, 3, 29, 37]; // not multiples of the 16 × 16 block
    const rng = Rng.derive(8);
    const images = Array.from({ length: batch }, () => planar(channels, height, width, Float32Array.from({ length: channels * height * width }, () => rng.next())));
    const kernels = [
      kernelOf({ kind: 'aniso', size: 21, sigmaX: 3, sigmaY: 1, theta: 0.4, beta: 1 }),
      kernelOf({ kind: 'sinc', size: 7, cutoff: 1.2 }),
      kernelOf({ kind: 'plateau_aniso', size: 13, sigmaX: 1.2, sigmaY: 2, theta: -2, beta: 1.5 }),
      kernelOf({ kind: 'iso', size: 9, sigmaX: 1, sigmaY: 1, theta: 0, beta: 1 }),
    ];
    const all = new Float32Array(batch * channels * height * width);
    images.forEach((im, n) => all.set(im.data, n * im.data.length));
    const input = uploadFloat32(device, all);
    const output = createTensorBuffer(device, all.byteLength);
    const taps = uploadFloat32(device, packTaps(kernels));
    const sides = device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
    device.queue.writeBuffer(sides, 0, Uint32Array.from(kernels, (k) => k.size));
    await run(batchBlur({ input, output, taps, sides, batch, channels, height, width }, device.limits));
    const got = await readFloat32(device, output, 0, all.length);
    images.forEach((im, n) => {
      const want = filter2d(im, kernels[n]!).data;
      expectClose(got.subarray(n * want.length, (n + 1) * want.length), want, 1e-6, 0, `image ${n} (side ${kernels[n]!.size})`);
    });
    for (const b of [input, output, taps, sides]) b.destroy();
  });
});
