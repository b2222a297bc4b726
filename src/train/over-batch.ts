import { imageOf, type BatchedRef } from '../kernels/batched.js';
import type { ImageBatch } from '../kernels/images.js';
import type { KernelCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';

/**
 * A per-image kernel over a whole batch in as few dispatches as the adapter's limit on
 * workgroups along z allows: one for any batch that fits a step's memory on a usual adapter
 * (65,535 / channels images). A dispatch per 32×32 image would leave a GPU idle and cost a CPU
 * adapter its per-dispatch overhead each time. `zPerImage` bounds the workgroups one image
 * takes along z (its output channels bound it for a conv and an activation alike).
 */
export function overBatch(
  x: BatchedRef,
  y: BatchedRef,
  zPerImage: number,
  limits: Pick<GPUSupportedLimits, 'maxComputeWorkgroupsPerDimension'>,
  make: (input: TensorRef, output: TensorRef, images: ImageBatch) => KernelCall,
): KernelCall[] {
  const perDispatch = Math.max(1, Math.floor(limits.maxComputeWorkgroupsPerDimension / zPerImage));
  const calls: KernelCall[] = [];
  for (let b = 0; b < x.batch; b += perDispatch) {
    calls.push(make(imageOf(x, b), imageOf(y, b), { count: Math.min(perDispatch, x.batch - b), inputStride: x.batchStride, outputStride: y.batchStride }));
  }
  return calls;
}
