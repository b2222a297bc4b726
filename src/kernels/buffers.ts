import { BufferUsage, MapMode } from '../runtime/gpu-constants.js';

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

/** Copies `count` floats starting at element `offset` of `buffer` back to the CPU. */
export async function readFloat32(device: GPUDevice, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const bytes = alignBytes(count * 4);
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, offset * 4, staging, 0, Math.ceil((count * 4) / 4) * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MapMode.READ);
    const out = new Float32Array(staging.getMappedRange(0, count * 4).slice(0));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
