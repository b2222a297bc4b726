import { describe, expect, it } from 'vitest';
import type { BatchedRef } from '../../src/kernels/batched.js';
import type { ImageBatch } from '../../src/kernels/images.js';
import type { KernelCall } from '../../src/kernels/program.js';
import type { TensorRef } from '../../src/kernels/tensor.js';
import { overBatch } from '../../src/train/over-batch.js';

/** The lowering's split of a batch into dispatches, under the adapter's limit on workgroups along z. */
describe('overBatch', () => {
  const buffer = {} as GPUBuffer;
  const x: BatchedRef = { buffer, offset: 10, batch: 7, batchStride: 100, channels: 3, height: 4, width: 5 };
  const y: BatchedRef = { buffer, offset: 2000, batch: 7, batchStride: 300, channels: 12, height: 4, width: 5 };
  const record = () => {
    const made: { input: TensorRef; output: TensorRef; images: ImageBatch }[] = [];
    const make = (input: TensorRef, output: TensorRef, images: ImageBatch) => {
      made.push({ input, output, images });
      return {} as KernelCall;
    };
    return { made, make };
  };

  it('one dispatch for the whole batch when the limit allows', () => {
    const { made, make } = record();
    expect(overBatch(x, y, 12, { maxComputeWorkgroupsPerDimension: 65535 }, make)).toHaveLength(1);
    expect(made[0]).toEqual({
      input: { buffer, offset: 10, channels: 3, height: 4, width: 5 },
      output: { buffer, offset: 2000, channels: 12, height: 4, width: 5 },
      images: { count: 7, inputStride: 100, outputStride: 300 },
    });
  });

  it('as many images per dispatch as fit the limit, every image once, in order', () => {
    const { made, make } = record();
    // 12 workgroups along z per image, at most 40: 3 images per dispatch.
    expect(overBatch(x, y, 12, { maxComputeWorkgroupsPerDimension: 40 }, make)).toHaveLength(3);
    expect(made.map((m) => [m.input.offset, m.output.offset, m.images.count])).toEqual([
      [10, 2000, 3],
      [310, 2900, 3],
      [610, 3800, 1],
    ]);
  });

  it('one image per dispatch when even one image is over the limit (the kernel then says why)', () => {
    const { made, make } = record();
    expect(overBatch(x, y, 100, { maxComputeWorkgroupsPerDimension: 40 }, make)).toHaveLength(7);
    expect(made.every((m) => m.images.count === 1)).toBe(true);
  });
});
