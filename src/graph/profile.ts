import { WgsrError } from '../errors.js';
import { convFlops } from '../kernels/conv2d.js';
import { convShapeOf } from '../kernels/conv2d-variants.js';
import { encodeCall } from '../kernels/program.js';
import { BufferUsage } from '../gpu/constants.js';
import type { GraphExecutor } from './executor.js';
import { mapQuietly } from '../gpu/pacing.js';
import { valueSize } from './ir.js';

export interface LayerTime {
  /** The step's label: the conv's weight name, or the op. */
  label: string;
  op: string;
  ms: number;
  /** Multiply-adds × 2 (convs only; 0 for memory-bound ops). */
  flops: number;
  /** The conv kernel variant that ran it (convs only). */
  kernel?: string;
}

/**
 * Per-layer GPU times from timestamp queries: every dispatch of one forward pass runs in a
 * compute pass of its own whose start and end the GPU timestamps, so the slowest layer is
 * visible. Needs the adapter's `timestamp-query` feature.
 */
export async function profileLayers(executor: GraphExecutor, height: number, width: number): Promise<LayerTime[]> {
  const { device } = executor;
  if (!device.features.has('timestamp-query')) {
    throw new WgsrError('BAD_ARGUMENT', 'per-layer profiling needs the adapter\'s timestamp-query feature, which this adapter lacks');
  }
  const calls = await executor.dispatches(height, width);
  const steps = executor.plan.steps;
  const count = calls.length * 2;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolve = device.createBuffer({ size: count * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: count * 8, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    calls.forEach((call, i) => {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encodeCall(pass, call);
      pass.end();
    });
    encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, readback, 0, count * 8);
    device.queue.submit([encoder.finish()]);
    await mapQuietly(device, readback, count * 8);
    const stamps = new BigInt64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return calls.map((call, i) => {
      const step = steps[i]!;
      const node = step.kind === 'node' ? step.node : undefined;
      let flops = 0;
      let kernel: string | undefined;
      if (node?.op === 'conv2d') {
        kernel = executor.kernels?.(convShapeOf(node.weights.shape, node.inputTransform)) ?? 'register-tile';
        const [cout, cin, k] = node.weights.shape;
        const out = valueSize(executor.plan.graph.values[node.output]!, height, width);
        flops = convFlops(cin, cout, k, out.height * out.width);
      }
      return {
        label: call.label ?? node?.op ?? 'copy',
        op: node?.op ?? 'copy',
        ms: Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6,
        flops,
        ...(kernel ? { kernel } : {}),
      };
    });
  } finally {
    querySet.destroy();
    resolve.destroy();
    readback.destroy();
  }
}
