import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readImage, writeImage } from '../../src/io/index.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { hashSample, makeImage } from '../image/images.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-upscale-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('wgsr upscale --tta --tile-blend writes what upscale() gives with { tta, tileBlend } (exactly)', async () => {
  const image = makeImage(20, 14, 3, 8, (x, y, c) => hashSample(x, y, c, 255));
  const input = join(dir, 'in.png');
  await writeImage(input, image);
  const out = join(dir, 'out.png');
  const lines: string[] = [];
  const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l), interactive: false };
  expect(await main(['upscale', input, '-o', out, '-m', MODEL, '--tta', '--tile-blend', '--tile', '8', '--tile-pad', '4'], io), lines.join('\n')).toBe(0);
  const up = await createUpscaler(readFileSync(MODEL), { device: (await testDevice()).device });
  try {
    const want = await up.upscale(image, { tta: true, tileBlend: true, tile: 8, tilePad: 4 });
    const plain = await up.upscale(image, { tile: 8, tilePad: 4 });
    const got = await readImage(out);
    expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
    expect(Buffer.from(got.data).equals(Buffer.from(plain.data))).toBe(false);
  } finally {
    up.destroy();
  }
});
