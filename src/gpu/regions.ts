import { WgsrError } from '../errors.js';
import { createTensorBuffer, elementBytes, type ElementType } from './buffers.js';

/** Where one planned buffer lives: a GPU buffer and the element it starts at. */
export interface Region {
  readonly buffer: GPUBuffer;
  readonly base: number;
}

/**
 * GPU memory for buffers of `sizes` elements: one buffer holding them all when it can be
 * bound whole, else a buffer each. One buffer is what every kernel prefers: it then binds one
 * buffer for all its tensors, so each kernel variant has one binding layout and one pipeline
 * (a CPU adapter compiles each pipeline for seconds; see kernels/conv2d-wgsl.ts). `what` names
 * the work in the error when even the largest buffer is too large to bind.
 */
export function allocateRegions(device: GPUDevice, sizes: readonly number[], element: ElementType, what: string): Region[] {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const bytes = elementBytes(element);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total * bytes <= limit) {
    const buffer = createTensorBuffer(device, total * bytes, 'activations');
    let base = 0;
    return sizes.map((size) => ({ buffer, base: (base += size) - size }));
  }
  // Checked before any allocation, so that a refusal leaves no buffer behind.
  const largest = Math.max(...sizes) * bytes;
  if (largest > limit) {
    throw new WgsrError('GPU_OUT_OF_MEMORY', `${what} needs a ${largest}-byte buffer but this adapter binds at most ${limit} bytes; use a smaller tile`);
  }
  return sizes.map((size, i) => ({ buffer: createTensorBuffer(device, size * bytes, `activations ${i}`), base: 0 }));
}
