import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWgsrError } from '../../src/errors.js';
import { GraphExecutor } from '../../src/graph/executor.js';
import type { Graph } from '../../src/graph/ir.js';
import { PipelineCache } from '../../src/kernels/program.js';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { loadWeights } from '../../src/weights/load.js';
import { testDevice, testPipelines } from '../helpers/gpu.js';
import { randomArray, rng } from '../helpers/synthetic.js';
import { trackingDevice } from '../reliability/tracking-device.js';
import { rejection } from '../helpers/errors.js';

/**
 * GraphExecutor.submit / collect: runs queued before earlier ones are read back. Every
 * comparison is against run() of the same input on the same executor, one at a time: the same
 * kernels on the same shapes, so the bytes must be identical (tolerance 0).
 */
function srvggGraph(): Graph {
  const { stateDict } = loadWeights(readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth')));
  return buildModel(stateDict, detectArchitecture(stateDict)).graph;
}

const input = (h: number, w: number, seed: number) => randomArray(3 * h * w, rng(seed), 0.5).map((v) => v + 0.5);
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('pipelined runs', () => {
  for (const element of ['f32', 'f16'] as const) {
    it(`${element}: a run queued behind another, of the same or of a larger shape, gives the bytes of one run at a time`, async () => {
      const executor = await GraphExecutor.create(await testPipelines(), srvggGraph(), element);
      try {
        const a = input(12, 10, 1);
        const a2 = input(12, 10, 2);
        const big = input(20, 18, 3);
        const want = [await executor.run(a, 12, 10), await executor.run(a2, 12, 10), await executor.run(big, 20, 18)];
        // Same shape: both runs share the activation buffers.
        const first = await executor.submit(a, 12, 10);
        const second = await executor.submit(a2, 12, 10);
        expect(bytes(await first.collect()).equals(bytes(want[0]!))).toBe(true);
        expect(bytes(await second.collect()).equals(bytes(want[1]!))).toBe(true);
        // A larger shape queued while a smaller run is in flight reallocates the activations.
        executor.releaseActivations();
        const small = await executor.submit(a, 12, 10);
        const large = await executor.submit(big, 20, 18);
        expect(bytes(await small.collect()).equals(bytes(want[0]!))).toBe(true);
        expect(bytes(await large.collect()).equals(bytes(want[2]!))).toBe(true);
      } finally {
        executor.destroy();
      }
    });
  }

  it('releaseActivations with a run in flight: the run still returns its output, and its buffers go after it', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const executor = await GraphExecutor.create(new PipelineCache(t.device), srvggGraph());
    try {
      executor.releaseActivations();
      const weightsOnly = t.live.size;
      const a = input(16, 12, 4);
      const want = await executor.run(a, 16, 12);
      const run = await executor.submit(a, 16, 12);
      executor.releaseActivations();
      expect(bytes(await run.collect()).equals(bytes(want))).toBe(true);
      expect(t.live.size).toBe(weightsOnly);
    } finally {
      executor.destroy();
    }
    expect(t.live.size).toBe(0);
  });

  it('a second read-back buffer for a shape already run is watched for out-of-memory too', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const executor = await GraphExecutor.create(new PipelineCache(t.device), srvggGraph());
    try {
      const a = input(16, 12, 5);
      await executor.run(a, 16, 12); // the shape's buffers and one read-back buffer exist now
      const first = await executor.submit(a, 16, 12); // takes the idle read-back buffer
      t.oomAbove = 0; // every new allocation fails from here
      const r = await rejection(executor.submit(a, 16, 12)); // needs a second one
      expect(r.code).toBe('GPU_OUT_OF_MEMORY');
      expect(t.failures()).toBe(1);
      await first.discard();
    } finally {
      executor.destroy();
    }
    expect(t.live.size).toBe(0);
  });

  it('a larger shape queued behind a run waits for the GPU before reallocating: old and new activations never coexist', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    let peak = 0;
    const watched = new Proxy(t.device, {
      get(target, prop) {
        if (prop === 'createBuffer') {
          return (d: GPUBufferDescriptor) => {
            const buffer = target.createBuffer(d);
            peak = Math.max(peak, t.liveBytes());
            return buffer;
          };
        }
        return Reflect.get(target, prop, target);
      },
    });
    const executor = await GraphExecutor.create(new PipelineCache(watched), srvggGraph());
    try {
      const small = await executor.submit(input(8, 8, 7), 8, 8);
      peak = 0;
      const large = await executor.submit(input(32, 28, 8), 32, 28);
      await small.collect();
      await large.collect();
      // After both: weights, the large shape's activations and uniforms, two read-back buffers.
      expect(peak).toBeLessThanOrEqual(t.liveBytes());
    } finally {
      executor.destroy();
    }
  });

  it('discarded and collected runs return their read-back buffers: pipelined images allocate nothing new', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const executor = await GraphExecutor.create(new PipelineCache(t.device), srvggGraph());
    try {
      const a = input(8, 8, 5);
      const cycle = async () => {
        const first = await executor.submit(a, 8, 8);
        const second = await executor.submit(a, 8, 8);
        await first.collect();
        await second.discard();
      };
      await cycle();
      const live = t.live.size;
      for (let i = 0; i < 10; i++) await cycle();
      expect(t.live.size).toBe(live);
      const once = await executor.submit(a, 8, 8);
      await once.discard();
      await expect(once.collect()).rejects.toThrow('a submitted run is collected or discarded once');
    } finally {
      executor.destroy();
    }
    expect(t.live.size).toBe(0);
  });

  it('destroy with a run in flight frees every buffer; that run is either finished or reports the destroyed model', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const executor = await GraphExecutor.create(new PipelineCache(t.device), srvggGraph());
    const a = input(8, 8, 6);
    const want = await executor.run(a, 8, 8);
    const run = await executor.submit(a, 8, 8);
    executor.destroy();
    expect(t.live.size).toBe(0);
    const outcome = await run.collect().then(
      (got) => (bytes(got).equals(bytes(want)) ? 'finished' : 'wrong output'),
      (e: unknown) => (isWgsrError(e) ? `${e.code}: ${e.message}` : String(e)),
    );
    expect(['finished', 'BAD_ARGUMENT: this model was destroyed while a tile was running']).toContain(outcome);
    expect((await rejection(executor.submit(a, 8, 8))).message).toBe('this model was destroyed');
  });
});
