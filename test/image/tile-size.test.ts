import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fuseGraph } from '../../src/graph/fuse.js';
import { foldBatchNorms } from '../../src/graph/fold-batch-norm.js';
import { plannedBytes, planMemory } from '../../src/graph/plan.js';
import { automaticTileSide, maxTilePixels, maxTileSide, type TileMemory } from '../../src/image/tile-size.js';
import { tileGrid } from '../../src/image/tiles.js';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { syntheticRRDBNet } from '../../src/models/synthetic.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { nearestNetwork } from './fake-networks.js';
import { hashSample, makeImage } from './images.js';

const GiB = 1024 ** 3;
/** Lavapipe's maxStorageBufferBindingSize (Mesa 25), the limit that used to split small photos. */
const LAVAPIPE_BINDING = 128 * 1024 * 1024;

/** Real-ESRGAN x4plus's activation bytes per input pixel (f32), from its memory plan (random weights, real shapes). */
function x4plusPerPixel(): TileMemory {
  const sd = syntheticRRDBNet();
  const graph = buildModel(sd, detectArchitecture(sd)).graph;
  return plannedBytes(planMemory(fuseGraph(foldBatchNorms(graph))), 1, 1);
}

describe('automatic tile size', () => {
  const perPixel = x4plusPerPixel();

  it('x4plus needs 9728 bytes per input pixel, 4096 of them in its largest buffer (64 channels at ×4)', () => {
    expect([perPixel.planned, perPixel.largestBuffer]).toEqual([9728, 4096]);
    // The binding limit, not the 1 GiB budget, is the tighter one on lavapipe: 32768 vs 110376 pixels.
    expect(maxTilePixels(perPixel, GiB, LAVAPIPE_BINDING)).toBe(32768);
    expect(maxTileSide(perPixel, GiB, LAVAPIPE_BINDING, 10, 1)).toBe(161);
  });

  it('a 200×150 photo runs in one tile under the default budget on lavapipe: 30000 pixels fit, though 200 > 161', () => {
    const net = nearestNetwork({ scale: 4, maxTileSide: maxTileSide(perPixel, GiB, LAVAPIPE_BINDING, 10, 1) });
    const whole = { ...net, maxTilePixels: () => maxTilePixels(perPixel, GiB, LAVAPIPE_BINDING) };
    const size = { width: 200, height: 150 };
    const side = automaticTileSide(whole, size, size, 10);
    expect(side).toBe(200);
    expect(tileGrid(200, 150, side, 10, 4)).toHaveLength(1);
    // Without the area (a network that only knows its square side) it still splits.
    expect(tileGrid(200, 150, automaticTileSide(net, size, size, 10), 10, 4).length).toBeGreaterThan(1);
  });

  it('an image whose area does not fit is split, into padded tiles that do', () => {
    const limit = maxTilePixels(perPixel, GiB, LAVAPIPE_BINDING);
    const net = { ...nearestNetwork({ scale: 4, maxTileSide: maxTileSide(perPixel, GiB, LAVAPIPE_BINDING, 10, 1) }), maxTilePixels: () => limit };
    const size = { width: 400, height: 90 }; // 36000 pixels > 32768
    const side = automaticTileSide(net, size, size, 10);
    const tiles = tileGrid(400, 90, side, 10, 4);
    expect(tiles.length).toBeGreaterThan(1);
    for (const t of tiles) expect((t.padded.x1 - t.padded.x0) * (t.padded.y1 - t.padded.y0)).toBeLessThanOrEqual(limit);
  });

  it('createUpscaler: a 64×40 image runs whole with a budget of exactly 64·40 pixels (its side, 64, is past the square side 30)', async () => {
    const { device } = await testDevice();
    const bytes = readFileSync(new URL('../../models/default/wgsr-compact-x4.safetensors', import.meta.url));
    const probe = await createUpscaler(bytes, { device });
    const perPixelBundled = probe.memory(1, 1).planned;
    probe.destroy();
    const up = await createUpscaler(bytes, { device, maxMemory: perPixelBundled * 64 * 40 });
    try {
      const image = makeImage(64, 40, 3, 8, (x, y, c) => hashSample(x, y, c, 255));
      const totals: number[] = [];
      await up.upscale(image, { onProgress: (_done, total) => totals.push(total) });
      expect(totals).toEqual([1]);
    } finally {
      up.destroy();
    }
  });
});
