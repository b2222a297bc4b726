import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readImage, writeImage } from '../../src/io/index.js';
import { loadNcnn } from '../../src/weights/ncnn.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { writeTorchZip } from '../../src/weights/pth-writer.js';
import { run } from '../cli/run.js';
import { hashSample, makeImage } from '../image/images.js';
import { HAVE_UPSCAYL, readUpscaylModel, UPSCAYL_MODELS } from '../helpers/upscayl.js';

const work = mkdtempSync(join(tmpdir(), 'wgsr-ncnn-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!HAVE_UPSCAYL)('wgsr convert / info / upscale on Upscayl’s ncnn files', () => {
  const param = resolve(UPSCAYL_MODELS, 'realesrgan-x4fast.param');

  it('convert x.param -o x.pth writes Real-ESRGAN’s layout (params_ema), -o x.safetensors the same tensors', async () => {
    const { param: p, bin, source } = readUpscaylModel('realesrgan-x4fast');
    const stateDict = loadNcnn(p, bin, source).stateDict;
    const pth = join(work, 'x4fast.pth');
    const r = await run('convert', param, '-o', pth);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stdout[0]).toMatch(/^wrote .*x4fast\.pth: 101 tensors, float16\+float32, [\d.]+ MB$/);
    expect(readFileSync(pth).equals(Buffer.from(writeTorchZip(stateDict, { wrapperKey: 'params_ema' })))).toBe(true);
    expect(loadWeights(readFileSync(pth))).toMatchObject({ format: 'pth-zip', wrapperKey: 'params_ema' });
    const st = join(work, 'x4fast.safetensors');
    expect((await run('convert', param.replace(/\.param$/, '.bin'), '-o', st)).code).toBe(0);
    expect(readFileSync(st).equals(Buffer.from(writeSafetensors(stateDict, { metadata: { format: 'pt' } })))).toBe(true);
    const info = await run('info', param, '--json');
    expect(JSON.parse(info.stdout[0]!)).toMatchObject({ arch: 'SRVGGNetCompact', params: 1_213_296, format: 'ncnn' });
  });

  it('upscale -m x.param and -m the converted .pth write the same image', async () => {
    const input = join(work, 'in.png');
    await writeImage(input, makeImage(24, 20, 3, 8, (x, y, c) => hashSample(x, y, c, 255)));
    const pth = join(work, 'x4fast-2.pth');
    expect((await run('convert', param, '-o', pth)).code).toBe(0);
    const a = await run('upscale', input, '-o', join(work, 'a.png'), '-m', param, '-q');
    const b = await run('upscale', input, '-o', join(work, 'b.png'), '-m', pth, '-q');
    expect([a.code, b.code], [...a.stderr, ...b.stderr].join('\n')).toEqual([0, 0]);
    const [ia, ib] = [await readImage(join(work, 'a.png')), await readImage(join(work, 'b.png'))];
    expect([ia.width, ia.height]).toEqual([96, 80]);
    expect(Buffer.from(ia.data).equals(Buffer.from(ib.data))).toBe(true);
  });
});
