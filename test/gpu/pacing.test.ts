import { afterEach, describe, expect, it } from 'vitest';
import { GpuPacer, mapWhenDone } from '../../src/gpu/pacing.js';
import { createTensorBuffer } from '../../src/gpu/buffers.js';
import { conv2d, packConv2dWeights } from '../../src/kernels/conv2d.js';
import { encodeCall, prepareCall } from '../../src/kernels/program.js';
import type { TensorRef } from '../../src/kernels/tensor.js';
import { BufferUsage, MapMode } from '../../src/gpu/constants.js';
import { testDevice, testPipelines } from '../helpers/gpu.js';

describe('GpuPacer', () => {
  function pacerWithClock() {
    const clock = { now: 1000 };
    return { clock, pacer: new GpuPacer(() => clock.now) };
  }

  /** A pacer past its first run that has learned one run of shape 's' taking `ms`. */
  function pacerThatLearned(ms: number) {
    const { clock, pacer } = pacerWithClock();
    pacer.ended(pacer.submitted('s'), 'probed');
    const learning = pacer.submitted('s');
    clock.now += ms;
    pacer.ended(learning, 'probed');
    return { clock, pacer };
  }

  it('sleeps through 85% of the last run of the same shape, never learning from the first run', () => {
    const { clock, pacer } = pacerWithClock();
    // The first run (shaders may compile inside it) teaches nothing.
    const first = pacer.submitted('32x32');
    expect(first.sleepMs).toBe(0);
    clock.now += 5000;
    pacer.ended(first, 'probed');
    const second = pacer.submitted('32x32');
    expect(second.sleepMs).toBe(0);
    clock.now += 1000;
    pacer.ended(second, 'probed');
    // Learned 1000 ms; another shape is still unknown.
    const third = pacer.submitted('32x32');
    expect(third.sleepMs).toBeCloseTo(850, 9);
    expect(pacer.submitted('64x64').sleepMs).toBe(0);
  });

  it('a run done at the first probe shrinks the expectation by 0.8; one found by probing sets it to its time; a failed one teaches nothing', () => {
    const { clock, pacer } = pacerThatLearned(1000);
    let run = pacer.submitted('s');
    expect(run.sleepMs).toBeCloseTo(850, 9);
    clock.now += 850;
    pacer.ended(run, 'first-probe'); // overslept: it took less than 850 ms
    run = pacer.submitted('s');
    expect(run.sleepMs).toBeCloseTo(0.85 * 800, 9);
    clock.now += 1200; // slower this time
    pacer.ended(run, 'probed');
    run = pacer.submitted('s');
    expect(run.sleepMs).toBeCloseTo(0.85 * 1200, 9);
    clock.now += 5;
    pacer.ended(run, 'failed');
    expect(pacer.submitted('s').sleepMs).toBeCloseTo(0.85 * 1200, 9);
  });

  it('a stall (the process stopped, the machine asleep) raises the expectation by 2× at most; a GPU that really slowed down is followed within a few runs', () => {
    const { clock, pacer } = pacerThatLearned(100);
    let run = pacer.submitted('s');
    clock.now += 3_600_000; // an hour stopped during this run
    pacer.ended(run, 'probed');
    run = pacer.submitted('s');
    expect(run.sleepMs).toBeCloseTo(0.85 * 200, 9);
    // From here each run truly takes 1000 ms: 200 → 400 → 800 → 1000.
    const sleeps: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.now += 1000;
      pacer.ended(run, 'probed');
      run = pacer.submitted('s');
      sleeps.push(run.sleepMs);
    }
    expect(sleeps.map((ms) => Math.round(ms / 0.85))).toEqual([400, 800, 1000, 1000]);
  });

  it('a run queued behind another sleeps until the one before is expected to be done', () => {
    const { clock, pacer } = pacerThatLearned(100);
    const a = pacer.submitted('s');
    clock.now += 10;
    const b = pacer.submitted('s');
    expect(a.sleepMs).toBeCloseTo(85, 9);
    // b starts on the GPU when a ends (100 ms after a's submit, 90 ms from now).
    expect(b.sleepMs).toBeCloseTo(90 + 85, 9);
    // a ends late: c, queued behind b, counts from a's real end.
    clock.now += 110;
    pacer.ended(a, 'probed');
    const c = pacer.submitted('s');
    // b, expected to take 100 ms when it was queued, starts now; then c, expected at a's 120 ms.
    expect(c.sleepMs).toBeCloseTo(100 + 0.85 * 120, 9);
    // b's GPU time counts from a's end, not from its own submit.
    clock.now += 100;
    pacer.ended(b, 'probed');
    // Behind c (120 ms) and an unknown shape (counted as no time): b's 100 ms is learned.
    expect(pacer.submitted('t').sleepMs).toBe(0);
    expect(pacer.submitted('s').sleepMs).toBeCloseTo(120 + 0.85 * 100, 9);
  });
});

describe('mapWhenDone', () => {
  const realSetImmediate = globalThis.setImmediate;
  afterEach(() => {
    globalThis.setImmediate = realSetImmediate;
  });

  /** Counts setImmediate calls: Dawn for Node polls a pending mapAsync with one per device tick. */
  function countImmediates(): { readonly count: number } {
    const counter = { count: 0 };
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      counter.count++;
      return realSetImmediate(...args);
    }) as typeof setImmediate;
    return counter;
  }

  /** Queues `dispatches` 64→64 3×3 convs on 128×128 and a copy of the result into a fresh read-back buffer. */
  async function queueWork(dispatches: number) {
    const { device } = await testDevice();
    const size = 128;
    const tensor = (buffer: GPUBuffer): TensorRef => ({ buffer, offset: 0, channels: 64, height: size, width: size });
    const bytes = 64 * size * size * 4;
    const input = createTensorBuffer(device, bytes, 'pacing input');
    device.queue.writeBuffer(input, 0, new Float32Array(64 * size * size).fill(1));
    const output = createTensorBuffer(device, bytes, 'pacing output');
    const weights = packConv2dWeights(device, { weight: new Float32Array(64 * 64 * 9).fill(1 / 512), shape: [64, 64, 3, 3], bias: new Float32Array(64).fill(0.5) });
    const call = await prepareCall(await testPipelines(), conv2d({ input: tensor(input), weights, output: tensor(output) }, device.limits));
    const readBack = device.createBuffer({ label: 'pacing read-back', size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < dispatches; i++) encodeCall(pass, call);
    pass.end();
    // Pixel (64, 64) of channel 0: all nine taps inside, 9·64/512 + 0.5 = 1.625, exact in f32.
    encoder.copyBufferToBuffer(output, (64 * size + 64) * 4, readBack, 0, 16);
    device.queue.submit([encoder.finish()]);
    const free = () => [input, output, weights.buffer, readBack].forEach((b) => b.destroy());
    return { readBack, free };
  }

  it('waits for the GPU with a handful of polls where a plain mapAsync polls all along', async () => {
    // Control: a plain mapAsync on work long enough to measure (grown until it takes ≥ 300 ms).
    let dispatches = 2;
    let plain = { polls: 0, ms: 0 };
    for (; dispatches <= 256; dispatches *= 2) {
      const work = await queueWork(dispatches);
      const polls = countImmediates();
      const start = performance.now();
      await work.readBack.mapAsync(MapMode.READ);
      plain = { polls: polls.count, ms: performance.now() - start };
      globalThis.setImmediate = realSetImmediate;
      work.free();
      if (plain.ms >= 300) break;
    }
    expect(plain.ms).toBeGreaterThanOrEqual(300);

    const work = await queueWork(dispatches);
    const polls = countImmediates();
    const start = performance.now();
    const outcome = await mapWhenDone(work.readBack, 16, 0, () => undefined);
    const ms = performance.now() - start;
    globalThis.setImmediate = realSetImmediate;
    const value = new Float32Array(work.readBack.getMappedRange(0, 16))[0];
    work.free();
    expect(value).toBe(1.625);
    expect(outcome).toBe('probed');
    // Probes every 3% of the time waited (at least 2 ms), each polling about a millisecond.
    expect(polls.count * 20).toBeLessThan(plain.polls);
    console.log(`plain mapAsync: ${plain.polls} polls in ${plain.ms.toFixed(0)} ms; paced: ${polls.count} polls in ${ms.toFixed(0)} ms`);
  });

  it('work already done is mapped at the first probe; a cancelled wait maps nothing', async () => {
    const done = await queueWork(1);
    await (await testDevice()).device.queue.onSubmittedWorkDone();
    expect(await mapWhenDone(done.readBack, 16, 0, () => undefined)).toBe('first-probe');
    expect(new Float32Array(done.readBack.getMappedRange(0, 16))[0]).toBe(1.625);
    done.free();

    const cancelled = await queueWork(1);
    await expect(mapWhenDone(cancelled.readBack, 16, 5, () => new Error('model destroyed'))).rejects.toThrow('model destroyed');
    expect(cancelled.readBack.mapState).toBe('unmapped');
    cancelled.free();
  });

  it("GpuPacer.map waits and learns a shape's time from its second run; a failed wait rejects and teaches nothing", async () => {
    const pacer = new GpuPacer();
    for (let run = 0; run < 2; run++) {
      const work = await queueWork(2);
      await pacer.map('s', work.readBack, 16, () => undefined);
      expect(new Float32Array(work.readBack.getMappedRange(0, 16))[0]).toBe(1.625);
      work.free();
    }
    const failed = await queueWork(1);
    await expect(pacer.map('t', failed.readBack, 16, () => new Error('model destroyed'))).rejects.toThrow('model destroyed');
    failed.free();
    expect(pacer.submitted('s').sleepMs).toBeGreaterThan(0);
    expect(pacer.submitted('t').sleepMs).toBe(0);
  });
});
