import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STREAM_PNG_MIN_PIXELS } from '../../src/cli/write-output.js';
import { readImageWithMetadata, writeImage } from '../../src/io/index.js';
import type { Image } from '../../src/image/types.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { hashSample, makeImage } from '../image/images.js';
import { run } from './run.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-stream-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * wgsr upscale streams PNG outputs of STREAM_PNG_MIN_PIXELS or more band by band
 * (cli/write-output.ts). The file must hold exactly what upscale() gives for the whole image,
 * with the input's ICC profile, and nothing else may be left in the folder.
 */
describe('wgsr upscale: a large PNG output streamed to the file', () => {
  const icc = Uint8Array.from({ length: 500 }, (_, i) => (i * 13) & 255);
  const cases: { name: string; image: Image; args: string[]; call: { outscale?: number; alpha?: 'resize' } }[] = [
    { name: '16-bit RGBA, alpha resized', image: makeImage(256, 256, 4, 16, (x, y, c) => hashSample(x, y, c, 65535)), args: ['--alpha', 'resize'], call: { alpha: 'resize' } },
    { name: '8-bit gray, --outscale 3', image: makeImage(342, 342, 1, 8, (x, y, c) => hashSample(x, y, c, 255)), args: ['--outscale', '3'], call: { outscale: 3 } },
  ];
  for (const c of cases) {
    it(c.name, { timeout: 120_000 }, async () => {
      const input = join(dir, `${c.image.channels}-${c.image.bitDepth}.png`);
      await writeImage(input, c.image, { icc });
      const out = join(dir, 'out', `${c.image.channels}-${c.image.bitDepth}.png`);
      const r = await run('upscale', input, '-o', out, '-m', MODEL, '--tile', '64', ...c.args);
      expect(r.code, r.stderr.join('\n')).toBe(0);
      const got = await readImageWithMetadata(out);
      expect(got.image.width * got.image.height).toBeGreaterThanOrEqual(STREAM_PNG_MIN_PIXELS);
      expect(got.metadata.icc).toEqual(icc);
      const up = await createUpscaler(readFileSync(MODEL), { device: (await testDevice()).device, tile: 64 });
      try {
        const want = await up.upscale(c.image, c.call);
        expect([got.image.width, got.image.height, got.image.channels, got.image.bitDepth]).toEqual([want.width, want.height, want.channels, want.bitDepth]);
        expect(Buffer.from(got.image.data.buffer, got.image.data.byteOffset, got.image.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength))).toBe(true);
      } finally {
        up.destroy();
      }
      expect(readdirSync(join(dir, 'out')).filter((f) => f.startsWith('.wgsr-'))).toEqual([]);
    });
  }
});
