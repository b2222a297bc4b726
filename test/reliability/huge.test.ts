import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import type { Image } from '../../src/image/types.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';

/**
 * A large image through the tiny SRVGGNetCompact (×4, 16 features) under an explicit 64 MiB
 * activation budget: the automatic tile size must split it, and the process's peak resident
 * memory (VmHWM: lavapipe's "GPU" memory is ours too) must stay near the output image itself.
 * CI runs 1024×1024 (4096² out, 50 MB); WGSR_HUGE=1 runs 4096×4096 (16384² out, 805 MB) and
 * WGSR_HUGE_SIDE=N any other side. Measured on 2 shared cores with lavapipe: 2048² took 268 s in
 * 36 tiles with a peak RSS of 675 MiB, too slow for every CI run.
 */
const MODEL = readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth'));
const SIDE = Number(process.env.WGSR_HUGE_SIDE ?? (process.env.WGSR_HUGE === '1' ? 4096 : 1024));
const BUDGET = 64 * 2 ** 20;
/** Above the output and input images: the budget, readbacks, the runtime, Dawn and lavapipe. */
const OVERHEAD = 700 * 2 ** 20;

function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

it(`${SIDE}×${SIDE} RGB is tiled within a 64 MiB budget; peak RSS stays under output + input + ${OVERHEAD / 2 ** 20} MiB`, async () => {
  const { device } = await testDevice();
  const up = await createUpscaler(MODEL, { device, maxMemory: BUDGET });
  const data = new Uint8Array(SIDE * SIDE * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const image: Image = { width: SIDE, height: SIDE, channels: 3, bitDepth: 8, data };
  let tiles = 0;
  const started = performance.now();
  const out = await up.upscale(image, { onProgress: (_, total) => (tiles = total) });
  const seconds = (performance.now() - started) / 1000;
  up.destroy();
  const peak = peakRss();
  const bound = out.data.byteLength + data.byteLength + OVERHEAD;
  console.log(`${SIDE}² → ${out.width}²: ${tiles} tiles in ${seconds.toFixed(1)} s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (bound ${(bound / 2 ** 20).toFixed(0)} MiB)`);
  expect([out.width, out.height]).toEqual([SIDE * 4, SIDE * 4]);
  expect(tiles).toBeGreaterThan(1);
  expect(peak).toBeLessThan(bound);
}, 600_000);
