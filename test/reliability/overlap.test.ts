import { readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWgsrError } from '../../src/errors.js';
import type { Image } from '../../src/image/types.js';
import { createUpscaler, type Upscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { overflowingSrvgg } from '../helpers/overflowing-model.js';
import { trackingDevice } from './tracking-device.js';

/**
 * Tiles in flight through the whole upscaler: with overlap (the default) an image must come out
 * byte for byte as with one tile at a time (`overlap: false`): same kernels, same shapes, same
 * device, so tolerance 0. Fallbacks and aborts with a tile in flight must change nothing either.
 */
const FIXTURES = resolve(__dirname, '../fixtures/models');
const model = (name: string) => readFileSync(resolve(FIXTURES, name, 'model.pth'));

function image(width: number, height: number, channels: 3 | 4, bitDepth: 8 | 16): Image {
  const max = bitDepth === 8 ? 255 : 65535;
  const data = bitDepth === 8 ? new Uint8Array(width * height * channels) : new Uint16Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor((((i * 2654435761) >>> 0) / 2 ** 32) * (max + 1));
  return { width, height, channels, bitDepth, data };
}

const same = (a: Image, b: Image) => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
const readBacks = (live: Set<GPUBuffer>) => [...live].filter((b) => b.label === 'read-back').length;

describe('overlapped tiles give the bytes of one tile at a time', () => {
  for (const name of ['srvgg_x4_tiny', 'realesrgan_x4_tiny']) {
    for (const precision of ['f32', 'f16'] as const) {
      it(`${name}, ${precision}: RGB 8-bit, RGB 16-bit and RGBA 8-bit in 3×3 tiles`, async () => {
        const { device } = await testDevice();
        const t = trackingDevice(device);
        const up = await createUpscaler(model(name), { device: t.device, precision, tile: 16, tilePad: 4 });
        try {
          expect(up.precision).toBe(precision);
          for (const img of [image(40, 36, 3, 8), image(40, 36, 3, 16), image(40, 36, 4, 8)]) {
            const overlapped = await up.upscale(img);
            // Two tiles were in flight at once: the pool holds two read-back buffers.
            expect(readBacks(t.live)).toBe(2);
            const sequential = await up.upscale(img, { overlap: false });
            expect(same(overlapped, sequential), `${img.channels} channels, ${img.bitDepth}-bit`).toBe(true);
          }
        } finally {
          up.destroy();
        }
        expect(t.live.size).toBe(0);
      }, 60_000);
    }
  }
});

describe('overlap given to createUpscaler', () => {
  it('applies to every image of that upscaler, and a call can still ask for overlap', async () => {
    const { device } = await testDevice();
    const t = trackingDevice(device);
    const up = await createUpscaler(model('srvgg_x4_tiny'), { device: t.device, tile: 16, tilePad: 4, overlap: false });
    try {
      const img = image(40, 36, 3, 8);
      const sequential = await up.upscale(img);
      // One tile at a time: one read-back buffer was ever needed.
      expect(readBacks(t.live)).toBe(1);
      expect(same(await up.upscale(img, { overlap: true }), sequential)).toBe(true);
      expect(readBacks(t.live)).toBe(2);
    } finally {
      up.destroy();
    }
  }, 60_000);
});

describe('f16 overflow in the middle of an overlapped image', () => {
  it('the tile already queued in f16 behind the first overflowing one is redone in f32: same bytes as one tile at a time', async () => {
    const { device } = await testDevice();
    // 48×48 16-bit, black but for a white 12×8 corner at the bottom left: in 16-pixel tiles
    // padded by 4, only tile 6 (the last row's first) sees white. Tile 7, black, is queued in
    // f16 before tile 6 overflows; one tile at a time, it would have run in f32.
    const width = 48;
    const data = new Uint16Array(width * 48 * 3);
    for (let y = 40; y < 48; y++) data.fill(65535, y * width * 3, (y * width + 12) * 3);
    const img: Image = { width, height: 48, channels: 3, bitDepth: 16, data };
    const bytes = overflowingSrvgg();
    const warnings: string[] = [];
    const f16 = await createUpscaler(bytes, { device, precision: 'f16', tile: 16, tilePad: 4, onWarning: (m) => warnings.push(m) });
    const f32 = await createUpscaler(bytes, { device, precision: 'f32', tile: 16, tilePad: 4 });
    try {
      const overlapped = await f16.upscale(img);
      expect(warnings).toHaveLength(1);
      const sequential = await f16.upscale(img, { overlap: false });
      expect(warnings).toHaveLength(2);
      expect(same(overlapped, sequential)).toBe(true);
      // Output rows 128.. (tiles 6–8) are the f32 run's exactly; the rows above ran in f16 and differ somewhere.
      const all32 = await f32.upscale(img);
      const split = 128 * width * 4 * 3;
      expect(Buffer.from(overlapped.data.buffer, split * 2).equals(Buffer.from(all32.data.buffer, split * 2))).toBe(true);
      expect(Buffer.from(overlapped.data.buffer, 0, split * 2).equals(Buffer.from(all32.data.buffer, 0, split * 2))).toBe(false);
    } finally {
      f16.destroy();
      f32.destroy();
    }
  }, 60_000);
});

describe('abort with a tile in flight', () => {
  for (const precision of ['f32', 'f16'] as const) {
    it(`${precision}: the queued tile is let go, nothing stays mapped or allocated, and the next image is whole`, async () => {
      const { device } = await testDevice();
      const t = trackingDevice(device);
      const up: Upscaler = await createUpscaler(model('realesrgan_x4_tiny'), { device: t.device, precision, tile: 16, tilePad: 4 });
      const afterCreate = t.live.size;
      const img = image(40, 36, 3, 8);
      const controller = new AbortController();
      let error: unknown;
      await up.upscale(img, { signal: controller.signal, onProgress: (done) => done === 3 && controller.abort() }).catch((e: unknown) => (error = e));
      expect(isWgsrError(error) && error.message).toBe('upscaling was aborted after 3 of 9 tiles');
      expect(readBacks(t.live)).toBe(0);
      expect(t.live.size).toBeLessThan(afterCreate);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      // The upscaler is whole: the next image equals one made a tile at a time.
      const next = await up.upscale(img);
      expect(same(next, await up.upscale(img, { overlap: false }))).toBe(true);
      up.destroy();
      expect(t.live.size).toBe(0);
    }, 60_000);
  }
});
