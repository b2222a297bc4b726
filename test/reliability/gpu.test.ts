import { readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Image } from '../../src/image/types.js';
import { createServerDevice } from '../../src/runtime/node.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { trackingDevice } from './tracking-device.js';
import { rejection } from '../helpers/errors.js';

/** Out of memory, lost devices, cancellation and leaks, on the tiny SRVGGNetCompact (×4, 16 features). */
const MODEL = readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth'));

function rgbImage(width: number, height: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / 3 / width) | 0) * 11) & 255;
  return { width, height, channels: 3, bitDepth: 8, data };
}

describe('out of GPU memory', () => {
  it('retries the image with half-size tiles, and the result is that of those tiles', async () => {
    const { device } = await testDevice();
    const image = rgbImage(96, 96);
    const t = trackingDevice(device);
    const up = await createUpscaler(MODEL, { device: t.device, tilePad: 4 });
    // Allocations for a 60×60 tile succeed, for the whole 96×96 image they fail (activations
    // that fit the binding limit are one buffer of the planned size, 16-byte aligned).
    t.oomAbove = Math.max(up.memory(60, 60).planned + 16, 3 * 240 * 240 * 4);
    const got = await up.upscale(image);
    expect(t.failures()).toBeGreaterThan(0);
    up.destroy();
    // The retry's tile: ⌊max(96 − 2·4, 96/2) / 2⌋ = 44. Same tiles on the same device: identical bytes (tolerance 0).
    const ref = await createUpscaler(MODEL, { device, tilePad: 4, tile: 44 });
    expect(Buffer.from(got.data as Uint8Array).equals(Buffer.from((await ref.upscale(image)).data as Uint8Array))).toBe(true);
    ref.destroy();
  });

  it('an explicit tile whose buffers exceed the binding limit is retried smaller, allocating nothing first', async () => {
    const { device } = await testDevice();
    const image = rgbImage(96, 96);
    const t = trackingDevice(device);
    const up = await createUpscaler(MODEL, { device: t.device, tilePad: 4 });
    t.bindingLimit = up.memory(60, 60).largestBuffer;
    const got = await up.upscale(image, { tile: 96 });
    up.destroy();
    expect(t.live.size).toBe(0);
    const ref = await createUpscaler(MODEL, { device, tilePad: 4, tile: 44 });
    expect(Buffer.from(got.data as Uint8Array).equals(Buffer.from((await ref.upscale(image)).data as Uint8Array))).toBe(true);
    ref.destroy();
  });

  it('gives up with GPU_OUT_OF_MEMORY below the smallest tile', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const up = await createUpscaler(MODEL, { device: t.device, tilePad: 4 });
    t.oomAbove = up.memory(16, 16).largestBuffer;
    const r = await rejection(up.upscale(rgbImage(96, 96)));
    expect(r.code).toBe('GPU_OUT_OF_MEMORY');
    // 96 → whole image fails → tiles of 44 (the first, at the edge, 48 px with its pad) fail → 20 < 32: stop.
    expect(r.message).toMatch(/ran out of memory even for 48-pixel tiles/);
    // The failed attempts left no activation buffers behind.
    const afterFailure = t.live.size;
    up.destroy();
    expect(t.live.size).toBe(0);
    expect(afterFailure).toBeLessThan(20);
  });
});

describe('device loss', () => {
  it('a device given by the caller: the image fails with DEVICE_LOST', async () => {
    const { device } = await createServerDevice();
    const up = await createUpscaler(MODEL, { device });
    const r = await rejection(up.upscale(rgbImage(64, 64), { tile: 16, tilePad: 2, onProgress: (done) => done === 1 && device.destroy() }));
    expect(r.code).toBe('DEVICE_LOST');
    expect(r.message).toMatch(/GPU device was lost/);
    up.destroy();
  }, 60_000);

  it('a device of its own: the image is redone once on a new device, and later images use it', async () => {
    const devices: GPUDevice[] = [];
    const up = await createUpscaler(MODEL, {
      deviceFactory: async () => {
        const made = await createServerDevice();
        devices.push(made.device);
        return made;
      },
    });
    const image = rgbImage(64, 64);
    let lostOnce = false;
    const got = await up.upscale(image, {
      tile: 16,
      tilePad: 2,
      onProgress: (done) => {
        if (done === 3 && !lostOnce) {
          lostOnce = true;
          devices[0]!.destroy();
        }
      },
    });
    expect(devices.length).toBe(2);
    const again = await up.upscale(image, { tile: 16, tilePad: 2 });
    expect(devices.length).toBe(2);
    up.destroy();
    // Identical computation on the shared device: identical bytes (tolerance 0).
    const ref = await createUpscaler(MODEL, { device: (await testDevice()).device });
    const want = Buffer.from((await ref.upscale(image, { tile: 16, tilePad: 2 })).data as Uint8Array);
    ref.destroy();
    expect(Buffer.from(got.data as Uint8Array).equals(want)).toBe(true);
    expect(Buffer.from(again.data as Uint8Array).equals(want)).toBe(true);
  }, 60_000);
});

describe('cancellation', () => {
  it('stops between tiles, frees the activations, and leaves no listener on the signal', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const up = await createUpscaler(MODEL, { device: t.device });
    const afterCreate = t.live.size;
    const controller = new AbortController();
    let tiles = 0;
    const r = await rejection(
      up.upscale(rgbImage(64, 64), {
        tile: 16,
        tilePad: 2,
        signal: controller.signal,
        onProgress: (done) => {
          tiles = done;
          if (done === 2) controller.abort();
        },
      }),
    );
    expect(r).toEqual({ code: 'ABORTED', message: 'upscaling was aborted after 2 of 16 tiles' });
    expect(tiles).toBe(2);
    // Only the weights remain: fewer live buffers than right after creation (which had a unit-size shape).
    expect(t.live.size).toBeLessThan(afterCreate);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    up.destroy();
    expect(t.live.size).toBe(0);
  });
});

describe('resource hygiene', () => {
  it('100 upscales return to the same GPU buffers and JS heap; destroy() frees everything', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const up = await createUpscaler(MODEL, { device: t.device });
    const images = [rgbImage(16, 16), rgbImage(20, 12)];
    const signal = new AbortController().signal;
    // Warm-up: both shapes prepared and cached, buffers grown to hold both.
    for (let i = 0; i < 4; i++) await up.upscale(images[i % 2]!, { signal });
    gc();
    const buffers = t.live.size;
    const heap = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let i = 0; i < 100; i++) await up.upscale(images[i % 2]!, { signal });
    const ms = performance.now() - started;
    gc();
    const growth = process.memoryUsage().heapUsed - heap;
    console.log(`100 upscales in ${ms.toFixed(0)} ms; live GPU buffers ${buffers} → ${t.live.size}; JS heap growth ${(growth / 1024).toFixed(0)} KiB`);
    expect(t.live.size).toBe(buffers);
    expect(growth).toBeLessThan(8 * 2 ** 20);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    up.destroy();
    expect(t.live.size).toBe(0);
  }, 120_000);
});
