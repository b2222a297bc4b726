import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

/**
 * A large image through the tiny SRVGGNetCompact (×4, 16 features) under an explicit 64 MiB
 * activation budget: the automatic tile size must split it, and the peak resident memory of the
 * process (VmHWM: lavapipe's "GPU" memory is ours too) must stay near the output image itself.
 * It runs in a child process over dist/ (CI builds before the tests) so that the peak is this
 * upscale's alone. CI runs 1024×1024 (4096² out, 50 MB); WGSR_HUGE=1 runs 4096×4096 (16384²
 * out, 805 MB) and WGSR_HUGE_SIDE=N any other side. Measured on 2 shared cores with lavapipe:
 * 2048² took 268 s in 36 tiles with a peak RSS of 675 MiB, too slow for every CI run.
 */
const repo = resolve(__dirname, '../..');
const MODEL = resolve(repo, 'test/fixtures/models/srvgg_x4_tiny/model.pth');
const SIDE = Number(process.env.WGSR_HUGE_SIDE ?? (process.env.WGSR_HUGE === '1' ? 4096 : 1024));
const BUDGET = 64 * 2 ** 20;
/** Above the output and input images: the budget, readbacks, the runtime, Dawn and lavapipe. */
const OVERHEAD = 700 * 2 ** 20;

it(`${SIDE}×${SIDE} RGB is tiled within a 64 MiB budget; peak RSS stays under output + input + ${OVERHEAD / 2 ** 20} MiB`, () => {
  expect(existsSync(resolve(repo, 'dist/index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
  const child = spawnSync(process.execPath, [resolve(__dirname, 'huge-child.mjs'), MODEL, String(SIDE), String(BUDGET)], {
    encoding: 'utf8',
    timeout: 1_500_000,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  expect(child.status, child.stderr).toBe(0);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
  const bound = r.outBytes + r.inBytes + OVERHEAD;
  console.log(`${SIDE}² → ${r.width}²: ${r.tiles} tiles in ${r.seconds.toFixed(1)} s; peak RSS ${(r.peak / 2 ** 20).toFixed(0)} MiB (bound ${(bound / 2 ** 20).toFixed(0)} MiB)`);
  expect([r.width, r.height]).toEqual([SIDE * 4, SIDE * 4]);
  expect(r.tiles).toBeGreaterThan(1);
  expect(r.peak).toBeLessThan(bound);
}, 1_600_000);
