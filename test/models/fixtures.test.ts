import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { expectWithinRange } from '../helpers/compare.js';

const FIXTURES = resolve(__dirname, '../fixtures/models');
const SHARED = resolve(__dirname, '../../../shared/fixtures/models');

/** Every model fixture: the bundled ones, and the full-size RRDBNet where ../shared exists. */
const CASES = [
  ...['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny', 'srvgg_x4_tiny', 'edsr_x2_tiny', 'edsr_x4_tiny', 'srgan_x4_tiny'].map((name) => ({ name, dir: FIXTURES })),
  { name: 'realesrgan_x4_full', dir: SHARED },
];
/** Our names for the fixtures' architectures. */
const ARCH: Record<string, string> = { SRGANGenerator: 'SRGAN' };

describe('every architecture against PyTorch', () => {
  for (const c of CASES) {
    const dir = resolve(c.dir, c.name);
    it.skipIf(!existsSync(dir))(`${c.name}: forward matches within 1e-4 of the output's range`, async () => {
      const { device } = await testDevice();
      const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8'));
      const input = readNpy(resolve(dir, 'input.npy'));
      const want = readNpy(resolve(dir, 'output.npy'));
      const up = await createUpscaler(readFileSync(resolve(dir, 'model.pth')), { device });
      try {
        expect(up.info.arch).toBe(ARCH[meta.arch] ?? meta.arch);
        expect(up.info.scale).toBe(meta.scale);
        const got = await up.forward({ shape: input.shape as [number, number, number, number], data: input.data });
        expect(got.shape).toEqual(want.shape);
        // The budget: max |Δ| ≤ 1e-4 of the output's range.
        expectWithinRange(got.data, want.data, 1e-4, c.name);
      } finally {
        up.destroy();
      }
    });
  }
});
