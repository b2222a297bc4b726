import { float32ToFloat16Bits } from '../half.js';
import { BufferUsage, MapMode } from './constants.js';

/**
 * Tensor buffers: how their elements are stored, how they are made, and how float32 data gets
 * in and out of them.
 *
 * Activations are stored as f32 or f16 (`ElementType`); every kernel computes in f32 and
 * converts on load and store. Inputs and outputs cross the CPU boundary as f32.
 */
export type ElementType = 'f32' | 'f16';

export const elementBytes = (type: ElementType): number => (type === 'f16' ? 2 : 4);

/** Usage for every tensor buffer: bound as storage, filled by writeBuffer, read back by copies. */
export const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** Buffer sizes must be multiples of 4 bytes; we round to 16 so vec4 reads stay in bounds. */
export const alignBytes = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

export function createTensorBuffer(device: GPUDevice, bytes: number, label?: string): GPUBuffer {
  return device.createBuffer({ label, size: alignBytes(bytes), usage: TENSOR_USAGE });
}

export function uploadFloat32(device: GPUDevice, data: Float32Array, label?: string): GPUBuffer {
  const buffer = createTensorBuffer(device, data.byteLength, label);
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/**
 * Writes f32 `values` into `buffer` from element `offset` on, converted to `element`.
 *
 * writeBuffer takes whole 4-byte words: with f16, an odd start or length is padded with a
 * zero element. The caller guarantees that the element before an odd start and the one after
 * an odd end are not live (the executor writes a run's input before anything else of the run
 * exists, and the queue runs in order).
 */
export function writeElements(device: GPUDevice, buffer: GPUBuffer, offset: number, values: Float32Array, element: ElementType): void {
  if (element === 'f32') {
    device.queue.writeBuffer(buffer, offset * 4, values.buffer, values.byteOffset, values.byteLength);
    return;
  }
  const lead = offset % 2;
  const halves = new Uint16Array(Math.ceil((lead + values.length) / 2) * 2);
  halves.set(float32ToFloat16Bits(values), lead);
  device.queue.writeBuffer(buffer, (offset - lead) * 2, halves.buffer, 0, halves.byteLength);
}

/** Copies `count` floats starting at element `offset` of `buffer` back to the CPU. */
export async function readFloat32(device: GPUDevice, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const bytes = alignBytes(count * 4);
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, count * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MapMode.READ);
    const out = new Float32Array(staging.getMappedRange(0, count * 4).slice(0));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
