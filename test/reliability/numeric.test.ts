import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUpscaler } from '../../src/upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { testDevice } from '../helpers/gpu.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');

describe('non-finite network output', () => {
  it('fails the image with a NUMERIC error instead of writing black pixels', async () => {
    // The fixture's SRVGGNetCompact with its weights scaled until the activations overflow f32.
    const sd = loadWeights(readFileSync(MODEL)).stateDict;
    for (const [k, t] of sd) if (k.endsWith('.weight') && t.shape.length === 4) sd.set(k, { ...t, data: t.data.map((v) => v * 1e12) });
    const { device } = await testDevice();
    const up = await createUpscaler(writeSafetensors(sd), { device, source: 'overflowing.safetensors' });
    try {
      const image = { width: 8, height: 8, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array(8 * 8 * 3).fill(200) };
      await expect(up.upscale(image)).rejects.toMatchObject({ code: 'NUMERIC', message: expect.stringMatching(/overflowing\.safetensors.*non-finite/) });
      // forward() stays raw: the values are there for whoever wants to look at them.
      const raw = await up.forward({ shape: [1, 3, 8, 8], data: new Float32Array(192).fill(0.8) });
      expect(raw.data.some((v) => !Number.isFinite(v))).toBe(true);
    } finally {
      up.destroy();
    }
  });
});
