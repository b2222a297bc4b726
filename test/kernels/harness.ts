import { createTensorBuffer, readFloat32 } from '../../src/gpu/buffers.js';
import { encodeCall, prepareCall, releaseCall, type KernelCall, type PipelineCache } from '../../src/kernels/program.js';
import type { TensorRef } from '../../src/kernels/tensor.js';
import { testDevice, testPipelines } from '../helpers/gpu.js';
import { tensor3, type Tensor3 } from '../reference/tensor.js';
import { rng as unitRng } from '../helpers/synthetic.js';

/** Deterministic uniform numbers in [-1, 1) (the shared mulberry32), so a failing case can be rerun. */
export function rng(seed: number): () => number {
  const unit = unitRng(seed);
  return () => unit() * 2 - 1;
}

export function randomArray(rand: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * scale);
}

export function randomTensor(rand: () => number, c: number, h: number, w: number, scale = 1): Tensor3 {
  return tensor3(c, h, w, randomArray(rand, c * h * w, scale));
}

/**
 * Tolerance for an f32 conv: |Δ| ≤ 1e-6·sqrt(cin·k²) + 1e-5·|ref|. The kernel sums cin·k²
 * products in a different order than PyTorch (or the float64 reference), and rounding errors
 * of such a sum grow like the square root of the number of terms; the terms here are O(1).
 */
export const convTolerance = (cin: number, k: number) => ({ atol: 1e-6 * Math.sqrt(cin * k * k), rtol: 1e-5 });

/** Written around tensors so a kernel that reads or writes outside its tensor is caught. */
export const SENTINEL = 1234.5;

/**
 * A GPU buffer of `total` floats (sentinel-filled) with each tensor placed at its element
 * offset; returns the TensorRefs in the same order.
 */
export async function placeTensors(total: number, parts: readonly { t: Tensor3 | Shape; offset: number }[]): Promise<{ buffer: GPUBuffer; refs: TensorRef[] }> {
  const { device } = await testDevice();
  const host = new Float32Array(total).fill(SENTINEL);
  for (const { t, offset } of parts) if ('data' in t) host.set(t.data, offset);
  const buffer = createTensorBuffer(device, total * 4, 'test tensor');
  device.queue.writeBuffer(buffer, 0, host);
  const refs = parts.map(({ t, offset }) => ({ buffer, offset, channels: t.channels, height: t.height, width: t.width }));
  return { buffer, refs };
}

type Shape = Pick<Tensor3, 'channels' | 'height' | 'width'>;

/** One tensor alone in its own buffer. */
export async function upload(t: Tensor3): Promise<TensorRef> {
  return (await placeTensors(t.data.length, [{ t, offset: 0 }])).refs[0]!;
}

/** An uninitialised (sentinel-filled) tensor alone in its own buffer. */
export async function empty(channels: number, height: number, width: number): Promise<TensorRef> {
  return (await placeTensors(channels * height * width, [{ t: { channels, height, width }, offset: 0 }])).refs[0]!;
}

export async function download(ref: TensorRef): Promise<Tensor3> {
  const { device } = await testDevice();
  const data = await readFloat32(device, ref.buffer, ref.offset, ref.channels * ref.height * ref.width);
  return tensor3(ref.channels, ref.height, ref.width, data);
}

/** Every float of the buffer (to check the sentinel around tensors survived). */
export async function downloadAll(buffer: GPUBuffer, count: number): Promise<Float32Array> {
  const { device } = await testDevice();
  return readFloat32(device, buffer, 0, count);
}

export async function run(...calls: KernelCall[]): Promise<void> {
  await runCalls(await testPipelines(), calls);
}

export async function limits(): Promise<GPUSupportedLimits> {
  return (await testDevice()).device.limits;
}

/** Runs calls in order in one pass and waits for them. */
async function runCalls(cache: PipelineCache, calls: readonly KernelCall[]): Promise<void> {
  const prepared = await Promise.all(calls.map((c) => prepareCall(cache, c)));
  const encoder = cache.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const p of prepared) encodeCall(pass, p);
  pass.end();
  cache.device.queue.submit([encoder.finish()]);
  await cache.device.queue.onSubmittedWorkDone();
  prepared.forEach(releaseCall);
}
