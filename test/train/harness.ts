import { createTensorBuffer, readFloat32 } from '../../src/gpu/buffers.js';
import type { BatchedRef } from '../../src/kernels/batched.js';
import { testDevice } from '../helpers/gpu.js';
import type { Floats, Tensor4 } from '../reference/tensor4.js';
import { SENTINEL } from '../kernels/harness.js';

export { run, limits, rng, randomArray } from '../kernels/harness.js';

export interface Placed {
  buffer: GPUBuffer;
  refs: BatchedRef[];
}

/**
 * One sentinel-filled buffer with each batch placed at its element offset and image stride
 * (default: packed images), so a kernel that strays outside its tensors is caught.
 */
export async function placeBatches(
  total: number,
  parts: readonly { t: Tensor4 | { n: number; c: number; h: number; w: number; data?: undefined }; offset: number; stride?: number }[],
): Promise<Placed> {
  const { device } = await testDevice();
  const host = new Float32Array(total).fill(SENTINEL);
  const refs = parts.map(({ t, offset, stride }) => {
    const image = t.c * t.h * t.w;
    const s = stride ?? image;
    if (t.data) for (let b = 0; b < t.n; b++) host.set(t.data.subarray(b * image, (b + 1) * image), offset + b * s);
    return { offset, batch: t.n, batchStride: s, channels: t.c, height: t.h, width: t.w };
  });
  const buffer = createTensorBuffer(device, total * 4, 'test batch');
  device.queue.writeBuffer(buffer, 0, host);
  return { buffer, refs: refs.map((r) => ({ ...r, buffer })) };
}

/** A batch alone in its own buffer. */
export async function uploadBatch(t: Tensor4): Promise<BatchedRef> {
  return (await placeBatches(t.data.length, [{ t, offset: 0 }])).refs[0]!;
}

/** A sentinel-filled batch alone in its own buffer. */
export async function emptyBatch(n: number, c: number, h: number, w: number): Promise<BatchedRef> {
  return (await placeBatches(n * c * h * w, [{ t: { n, c, h, w }, offset: 0 }])).refs[0]!;
}

/** The batch's values, NCHW. */
export async function downloadBatch(t: BatchedRef): Promise<Float32Array> {
  const { device } = await testDevice();
  const image = t.channels * t.height * t.width;
  const all = await readFloat32(device, t.buffer, 0, t.buffer.size / 4);
  const out = new Float32Array(t.batch * image);
  for (let b = 0; b < t.batch; b++) out.set(all.subarray(t.offset + b * t.batchStride, t.offset + b * t.batchStride + image), b * image);
  return out;
}

export async function uploadArray(data: Floats, extra = 0): Promise<GPUBuffer> {
  const { device } = await testDevice();
  const host = new Float32Array(data.length + extra).fill(SENTINEL);
  host.set(data);
  const buffer = createTensorBuffer(device, host.byteLength, 'test array');
  device.queue.writeBuffer(buffer, 0, host);
  return buffer;
}

export async function downloadArray(buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const { device } = await testDevice();
  return readFloat32(device, buffer, offset, count);
}

/** Every one of the buffer's first `count` floats (what placeBatches filled) outside the given element ranges still holds the sentinel. */
export async function expectSentinelsOutside(buffer: GPUBuffer, ranges: readonly [number, number][], count: number): Promise<void> {
  const all = await downloadArray(buffer, 0, count);
  const inside = new Uint8Array(all.length);
  for (const [a, b] of ranges) inside.fill(1, a, b);
  const bad = all.findIndex((v, i) => !inside[i] && v !== SENTINEL);
  if (bad >= 0) throw new Error(`element ${bad} outside the tensors was overwritten (${all[bad]})`);
}

/** Element ranges of each image of a batch (for expectSentinelsOutside). */
export function imageRanges(t: BatchedRef): [number, number][] {
  const image = t.channels * t.height * t.width;
  return Array.from({ length: t.batch }, (_, b) => [t.offset + b * t.batchStride, t.offset + b * t.batchStride + image] as [number, number]);
}
