import { describe, expect, it } from 'vitest';
import { GraphExecutor } from '../../src/graph/executor.js';
import { buildModel } from '../../src/models/registry.js';
import { expectClose } from '../helpers/compare.js';
import { PipelineCache } from '../../src/kernels/program.js';
import { testPipelines } from '../helpers/gpu.js';
import { randomArray, randomRRDBNet, rng } from '../helpers/synthetic.js';
import { runGraphRef } from '../reference/graph.js';
import { tensor3 } from '../reference/tensor.js';

// The fused, planned GPU run against the unfused CPU interpretation of the same graph.
// Tolerance: f32 with different summation order over ~200-term dot products through ~20 layers;
// |Δ| ≤ 1e-4 + 1e-4·|ref| (the outputs are O(1)).
const ATOL = 1e-4;
const RTOL = 1e-4;

describe('graph executor', () => {
  for (const [scale, h, w] of [
    [4, 7, 9],
    [2, 6, 10],
    [1, 8, 12],
  ] as const) {
    it(`runs a random RRDBNet ×${scale} on ${w}×${h} like the unfused CPU reference`, async () => {
      const { sd, info } = randomRRDBNet({ scale, numFeat: 12, numGrowCh: 8, numBlock: 2, seed: 10 + scale });
      const graph = buildModel(sd, info).graph;
      const executor = await GraphExecutor.create(await testPipelines(), graph);
      try {
        const input = randomArray(3 * h * w, rng(scale), 0.5).map((v) => v + 0.5);
        const want = runGraphRef(graph, tensor3(3, h, w, input));
        const got = await executor.run(input, h, w);
        expect(want.height).toBe(h * scale);
        const c = expectClose(got, want.data, ATOL, RTOL, `RRDBNet ×${scale}`);
        expect(c.maxAbs).toBeLessThan(ATOL);
        // Run again at another size: the cached shapes must not leak into each other.
        const m = executor.sizeMultiple;
        const h2 = h + m;
        const input2 = randomArray(3 * h2 * w, rng(99), 0.5);
        expectClose(await executor.run(input2, h2, w), runGraphRef(graph, tensor3(3, h2, w, input2)).data, ATOL, RTOL);
        expectClose(await executor.run(input, h, w), want.data, ATOL, RTOL, 'first size again');
      } finally {
        executor.destroy();
      }
    });
  }
});

/** A device whose queue and compute passes log what is submitted and written, in order. */
function recordingDevice(device: GPUDevice): { device: GPUDevice; log: string[] } {
  const log: string[] = [];
  const ids = new Map<GPUComputePipeline, number>();
  const bound = <T extends object>(target: T, overrides: Partial<T>): T =>
    new Proxy(target, {
      get(t, key) {
        if (key in overrides) return overrides[key as keyof T];
        const v = Reflect.get(t, key, t);
        // Native methods need the real object as `this`.
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  const pass = (real: GPUComputePassEncoder) => {
    let pipeline = -1;
    return bound(real, {
      setPipeline: (p: GPUComputePipeline) => {
        if (!ids.has(p)) ids.set(p, ids.size);
        pipeline = ids.get(p)!;
        real.setPipeline(p);
      },
      dispatchWorkgroups: (x: number, y = 1, z = 1) => {
        log.push(`dispatch ${pipeline} ${x}×${y}×${z}`);
        real.dispatchWorkgroups(x, y, z);
      },
    });
  };
  const queue = bound(device.queue, {
    submit: (buffers: Iterable<GPUCommandBuffer>) => {
      log.push('submit');
      device.queue.submit(buffers);
    },
    writeBuffer: (...args: Parameters<GPUQueue['writeBuffer']>) => {
      log.push(`write ${args[0].label}`);
      device.queue.writeBuffer(...args);
    },
  });
  const wrapped = bound(device, {
    queue,
    createCommandEncoder: (descriptor?: GPUCommandEncoderDescriptor) => {
      const encoder = device.createCommandEncoder(descriptor);
      return bound(encoder, { beginComputePass: (d?: GPUComputePassDescriptor) => pass(encoder.beginComputePass(d)) });
    },
  });
  return { device: wrapped, log };
}

describe('graph executor tile alignment', () => {
  // A 3×3 conv workgroup covers 32×32 output pixels; pixel-unshuffle by r runs the body at 1/r
  // of the input's resolution, so a block there spans 32·r input pixels.
  for (const [scale, alignment] of [
    [4, 32],
    [2, 64],
    [1, 128],
  ] as const) {
    it(`RRDBNet ×${scale}: ${alignment} input pixels`, async () => {
      const { sd, info } = randomRRDBNet({ scale, numFeat: 16, numGrowCh: 8, numBlock: 1, seed: 7 });
      const executor = await GraphExecutor.create(await testPipelines(), buildModel(sd, info).graph);
      try {
        expect(executor.tileAlignment).toBe(alignment);
      } finally {
        executor.destroy();
      }
    });
  }
});

describe('graph executor creation', () => {
  it('dispatches one workgroup of each pipeline before packing the weights, and runs correctly after', async () => {
    const { sd, info } = randomRRDBNet({ scale: 2, numFeat: 12, numGrowCh: 8, numBlock: 1, seed: 5 });
    const graph = buildModel(sd, info).graph;
    const { device, log } = recordingDevice((await testPipelines()).device);
    const executor = await GraphExecutor.create(new PipelineCache(device), graph);
    try {
      const firstSubmit = log.indexOf('submit');
      const warmUp = log.slice(0, firstSubmit).filter((e) => e.startsWith('dispatch'));
      const pipelines = new Set((await executor.dispatches(2, 2)).map((call) => call.pipeline));
      expect(warmUp).toHaveLength(pipelines.size);
      expect(new Set(warmUp.map((e) => e.split(' ')[1])).size).toBe(pipelines.size);
      for (const dispatch of warmUp) expect(dispatch).toMatch(/ 1×1×1$/);
      // Weight buffers are labelled with their layer's name; each call's uniforms are written when it is prepared.
      const weightWrites = log.map((e, i) => [e, i] as const).filter(([e]) => e.startsWith('write ') && !e.endsWith(' uniforms'));
      expect(weightWrites.length).toBeGreaterThan(0);
      for (const [, at] of weightWrites) expect(at).toBeGreaterThan(firstSubmit);

      const input = randomArray(3 * 6 * 4, rng(3), 0.5).map((v) => v + 0.5);
      expectClose(await executor.run(input, 6, 4), runGraphRef(graph, tensor3(3, 6, 4, input)).data, ATOL, RTOL, 'after the warm-up dispatches');
    } finally {
      executor.destroy();
    }
  });
});
