import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readImage } from '../../src/io/index.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';

const PIPELINE = resolve(__dirname, '../fixtures/pipeline');
const MODEL = resolve(__dirname, '../fixtures/models/realesrgan_x4_tiny/model.pth');
const CASES = [
  { name: 'realesrgan_x4_tiny_0014_crop_whole', tile: 0, tilePad: 0 },
  { name: 'realesrgan_x4_tiny_0014_crop_tile16_pad4', tile: 16, tilePad: 4 },
];
const work = mkdtempSync(join(tmpdir(), 'wgsr-pipeline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every 8-bit value within ±1 of PyTorch's PNG; the float result within 1e-5 before rounding. */
function checkAgainstExpected(dir: string, got: { width: number; height: number; channels: number; data: ArrayLike<number> }, expected: { data: ArrayLike<number> }) {
  let maxLevel = 0;
  for (let i = 0; i < expected.data.length; i++) maxLevel = Math.max(maxLevel, Math.abs(got.data[i]! - expected.data[i]!));
  expect(maxLevel).toBeLessThanOrEqual(1);
  // expected_float.npy is PyTorch's clamped float image (HWC): our 8-bit values must be its rounding, ±1 level.
  const float = readNpy(resolve(dir, 'expected_float.npy'));
  let maxFloat = 0;
  for (let i = 0; i < float.data.length; i++) maxFloat = Math.max(maxFloat, Math.abs(got.data[i]! / 255 - float.data[i]!));
  expect(maxFloat).toBeLessThanOrEqual(1 / 255 + 1e-6);
  return maxLevel;
}

describe('Real-ESRGAN pipeline fixtures', () => {
  for (const c of CASES) {
    const dir = resolve(PIPELINE, c.name);
    it(`${c.name} through upscale()`, async () => {
      const { device } = await testDevice();
      const up = await createUpscaler(readFileSync(MODEL), { device, tile: c.tile, tilePad: c.tilePad });
      try {
        const input = await readImage(resolve(dir, 'input.png'));
        const expected = await readImage(resolve(dir, 'expected.png'));
        const got = await up.upscale(input);
        expect([got.width, got.height, got.channels, got.bitDepth]).toEqual([expected.width, expected.height, 3, 8]);
        checkAgainstExpected(dir, got, expected);
      } finally {
        up.destroy();
      }
    });

    it(`${c.name} through the CLI`, async () => {
      const out = join(work, `${c.name}.png`);
      const lines: string[] = [];
      const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l), interactive: false };
      const args = ['upscale', resolve(dir, 'input.png'), '-o', out, '-m', MODEL, '--tile', String(c.tile), '--tile-pad', String(c.tilePad)];
      expect(await main(args, io), lines.join('\n')).toBe(0);
      checkAgainstExpected(dir, await readImage(out), await readImage(resolve(dir, 'expected.png')));
    });
  }
});
