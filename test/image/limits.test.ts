import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_SAMPLES } from '../../src/image/job.js';
import { upscaleImage } from '../../src/image/upscale.js';
import { rejection } from '../helpers/errors.js';
import { nearestNetwork } from './fake-networks.js';
import { makeImage, nearestUpscale } from './images.js';

/** Sizes that cannot work are refused before the network runs, with what to do instead. */
describe('upscaleImage refuses impossible sizes before any work', () => {
  it('an output larger than the memory it is held in (here 100×100 gray at ×500 = 2.5 G samples)', async () => {
    const image = makeImage(100, 100, 1, 8, () => 7);
    const net = nearestNetwork({ scale: 500 });
    const e = await rejection(upscaleImage(net, image));
    expect(e.code).toBe('BAD_IMAGE');
    expect(e.message).toMatch(/the ×500 output of this 100×100 image would be 50000×50000 \(2\.50 G samples\).*smaller input.*--outscale/);
    expect(net.calls.length).toBe(0);
    expect(100 * 500 * 100 * 500).toBeGreaterThan(MAX_OUTPUT_SAMPLES);
  });

  it('an outscale target too large, even when the network output fits', async () => {
    const image = makeImage(100, 100, 3, 8, () => 7);
    const net = nearestNetwork({ scale: 4 });
    const e = await rejection(upscaleImage(net, image, { outscale: 300 }));
    expect(e.message).toMatch(/the outscale output of this 100×100 image would be 30000×30000/);
    expect(net.calls.length).toBe(0);
  });

  it('a pre-pad beyond twice the longest side; up to it, the result is the plain upscale', async () => {
    const image = makeImage(8, 5, 3, 8, (x, y, c) => x * 20 + y * 3 + c);
    const net = nearestNetwork({ scale: 2 });
    for (const prePad of [17, 1e9]) {
      const e = await rejection(upscaleImage(net, image, { prePad, tile: 4 }));
      expect(e.code).toBe('BAD_ARGUMENT');
      expect(e.message).toMatch(new RegExp(`pre-pad ${prePad} is more than twice the longest side of this 8×5 image \\(16\\)`));
    }
    expect(net.calls.length).toBe(0);
    const out = await upscaleImage(net, image, { prePad: 16, tile: 4, tilePad: 1 });
    expect(Buffer.from(out.data).equals(Buffer.from(nearestUpscale(image, 2).data))).toBe(true);
    // Tiles wholly in the pre-pad margin are never built, let alone run: 2 columns × 2 rows.
    expect(net.calls.length).toBe(4);
  });
});
