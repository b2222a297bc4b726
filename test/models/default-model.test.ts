import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readImage } from '../../src/io/index.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { expectWithinRange } from '../helpers/compare.js';

const ROOT = resolve(__dirname, '../..');
const MODEL = resolve(ROOT, 'models/default/wgsr-compact-x4.safetensors');
const REFERENCE = resolve(ROOT, 'training/reference');
const work = mkdtempSync(join(tmpdir(), 'wgsr-default-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the bundled default model', () => {
  it("has PyTorch's reference computed from this very file (training/reference/meta.json names its SHA-256)", () => {
    const meta = JSON.parse(readFileSync(resolve(REFERENCE, 'meta.json'), 'utf8'));
    expect(meta.model_sha256).toBe(createHash('sha256').update(readFileSync(MODEL)).digest('hex'));
  });

  it('matches PyTorch on a held-out crop within 1e-4 of the output range', async () => {
    const { device } = await testDevice();
    const up = await createUpscaler(readFileSync(MODEL), { device });
    try {
      expect(up.info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4, dtype: 'float16', numFeat: 32, numConv: 10 });
      const lr = await readImage(resolve(REFERENCE, 'lr.png'));
      const { width: w, height: h } = lr;
      const input = new Float32Array(3 * h * w);
      for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) input[c * h * w + p] = lr.data[p * 3 + c]! / 255;
      const got = await up.forward({ shape: [1, 3, h, w], data: input });
      const want = readNpy(resolve(REFERENCE, 'output.npy'));
      expect(got.shape).toEqual(want.shape);
      expectWithinRange(got.data, want.data, 1e-4, 'bundled model on the held-out crop');
    } finally {
      up.destroy();
    }
  });

  it('is what wgsr upscale uses without -m (the README first command)', async () => {
    expect(existsSync(resolve(ROOT, 'examples/chelsea.png'))).toBe(true);
    const out = join(work, 'chelsea-x4.png');
    const lines: string[] = [];
    const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l), interactive: false };
    expect(await main(['upscale', resolve(ROOT, 'examples/chelsea.png'), '-o', out], io), lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toMatch(/wgsr-compact-x4\.safetensors: SRVGGNetCompact ×4/);
    const result = await readImage(out);
    expect([result.width, result.height, result.channels, result.bitDepth]).toEqual([800, 600, 3, 8]);
  });
});
