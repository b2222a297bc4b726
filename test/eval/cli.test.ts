import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cropImage } from '../../src/eval/index.js';
import type { Image } from '../../src/image/types.js';
import { readImage, writeImage } from '../../src/io/index.js';
import { HAVE_UPSCAYL, UPSCAYL_MODELS } from '../helpers/upscayl.js';
import { directPlane, directPsnr, directSsim, noisyPair } from './direct.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const PHOTO = resolve(__dirname, '../fixtures/images/OST_009.png');
const work = mkdtempSync(join(tmpdir(), 'wgsr-eval-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['eval', ...args], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), interactive: false });
  return { code, out, err };
}

function dir(name: string): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  return d;
}

const W = 40;
const H = 34;
const { clean, noisy } = noisyPair(W, H, 20, 99);
const rgb = (data: Uint8Array, width = W, height = H): Image => ({ width, height, channels: 3, bitDepth: 8, data });

describe('wgsr eval --sr', () => {
  beforeAll(async () => {
    await writeImage(join(dir('hr'), 'a.png'), rgb(clean));
    await writeImage(join(dir('hr'), 'b.png'), rgb(clean));
    await writeImage(join(dir('sr'), 'a_out.png'), rgb(noisy));
    await writeImage(join(dir('sr'), 'bx4.png'), rgb(clean));
  });

  it('prints per-image and mean scores matching a direct computation (JSON |Δ| ≤ 1e-9; text to 4 decimals)', async () => {
    const want = directPsnr(directPlane(noisy, W, H, 4), directPlane(clean, W, H, 4));
    const wantSsim = directSsim(directPlane(noisy, W, H, 4), directPlane(clean, W, H, 4));
    const j = await run(['--hr', join(work, 'hr'), '--sr', join(work, 'sr'), '--scale', '4', '--json']);
    expect(j.code, j.err.join('\n')).toBe(0);
    expect(j.out).toHaveLength(1);
    const r = JSON.parse(j.out[0]!);
    expect(r.scale).toBe(4);
    expect(r.crop_border).toBe(4);
    expect(r.model).toBeUndefined();
    expect(r.images.map((i: { name: string }) => i.name)).toEqual(['a.png', 'b.png']);
    expect(Math.abs(r.images[0].psnr - want)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(r.images[0].ssim - wantSsim)).toBeLessThanOrEqual(1e-9);
    // b is identical to its HR image: infinite PSNR is written as null, SSIM exactly 1; so is the mean PSNR.
    expect(r.images[1]).toEqual({ name: 'b.png', psnr: null, ssim: 1 });
    expect(r.mean.psnr).toBeNull();
    expect(Math.abs(r.mean.ssim - (wantSsim + 1) / 2)).toBeLessThanOrEqual(1e-9);

    const t = await run(['--hr', join(work, 'hr'), '--sr', join(work, 'sr'), '--scale', '4']);
    expect(t.code).toBe(0);
    expect(t.out.find((l) => l.startsWith('a.png'))).toContain(want.toFixed(4));
    expect(t.out.find((l) => l.startsWith('b.png'))).toMatch(/inf\s+1\.0000$/);
    expect(t.out.at(-1)).toMatch(/^mean\s+inf\s+/);
  });

  it('crops an SR image a few pixels too large to the HR size, and says so', async () => {
    const hr = dir('hr-small');
    const sr = dir('sr-large');
    await writeImage(join(hr, 'c.png'), cropImage(rgb(clean), W - 2, H - 3));
    await writeImage(join(sr, 'c.png'), rgb(noisy));
    const j = await run(['--hr', hr, '--sr', sr, '--scale', '4', '--json']);
    expect(j.code, j.err.join('\n')).toBe(0);
    expect(j.err.join('\n')).toMatch(/c\.png: sizes differ by a few pixels; both cropped to 38×31/);
    const want = directPsnr(directPlane(cropImage(rgb(noisy), W - 2, H - 3).data as Uint8Array, W - 2, H - 3, 4), directPlane(cropImage(rgb(clean), W - 2, H - 3).data as Uint8Array, W - 2, H - 3, 4));
    expect(Math.abs(JSON.parse(j.out[0]!).images[0].psnr - want)).toBeLessThanOrEqual(1e-9);
  });

  it('errors exit non-zero with one line: missing folder, unmatched name, size mismatch, bad flags', async () => {
    const mismatch = dir('sr-mismatch');
    await writeImage(join(mismatch, 'a.png'), rgb(noisy.subarray(0, 20 * 20 * 3), 20, 20));
    await writeImage(join(mismatch, 'b.png'), rgb(clean));
    const cases: [string[], RegExp][] = [
      [['--hr', join(work, 'nope'), '--sr', join(work, 'sr'), '--scale', '4'], /--hr .*nope: no such folder/],
      [['--hr', join(work, 'hr'), '--sr', join(work, 'hr-small'), '--scale', '4'], /no partner in .*hr-small for a\.png, b\.png/],
      [['--hr', join(work, 'hr'), '--sr', mismatch, '--scale', '4'], /sr-mismatch\/a\.png is 20×20 but .*hr\/a\.png is 40×34/],
      [['--hr', join(work, 'hr'), '--sr', join(work, 'sr')], /give --scale N with --sr/],
      [['--hr', join(work, 'hr'), '--sr', join(work, 'sr'), '-m', MODEL], /either --sr <dir> or -m <model>/],
      [['--hr', join(work, 'hr'), '--sr', join(work, 'sr'), '--lr', join(work, 'sr'), '--scale', '4'], /--lr needs -m/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect([1, 2], args.join(' ')).toContain(r.code); // 2: a usage error, 1: a file problem
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
  });
});

describe('wgsr eval -m (GPU)', () => {
  const hrDir = join(work, 'hr-photo');
  let hr: Image;
  beforeAll(async () => {
    // A 66×51 crop of a fixture photo: mod-cropped to 64×48 for ×4, LR 16×12.
    const photo = await readImage(PHOTO);
    hr = cropImage(photo, 66, 51);
    mkdirSync(hrDir, { recursive: true });
    await writeImage(join(hrDir, 'photo.png'), hr);
  });

  it('scores the model and the bicubic baseline, per image and mean; JSON parses', async () => {
    const j = await run(['--hr', hrDir, '-m', MODEL, '--json']);
    expect(j.code, j.err.join('\n')).toBe(0);
    expect(j.out).toHaveLength(1);
    // Progress goes to stderr (stdout stays one JSON object): the photo's tiles, ending with all of them done.
    const tiles = j.err.filter((l) => l.startsWith('photo.png (1/1): '));
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.at(-1)).toMatch(/^photo\.png \(1\/1\): (\d+)\/\1 tiles /);
    const r = JSON.parse(j.out[0]!);
    expect([r.scale, r.crop_border, r.model]).toEqual([4, 4, 'model.pth']);
    expect(r.images).toHaveLength(1);
    const img = r.images[0];
    expect(img.name).toBe('photo.png');
    for (const s of [img, img.bicubic, r.mean, r.mean.bicubic]) {
      expect(Number.isFinite(s.psnr)).toBe(true);
      expect(s.ssim).toBeGreaterThan(-1);
      expect(s.ssim).toBeLessThan(1);
    }
    // One image: the mean is that image's score.
    expect(r.mean.psnr).toBe(img.psnr);
    expect(r.mean.bicubic.ssim).toBe(img.bicubic.ssim);
    // The tiny fixture model has random weights; plain bicubic of a real photo does far better than 10 dB.
    expect(img.bicubic.psnr).toBeGreaterThan(15);

    const t = await run(['--hr', hrDir, '-m', MODEL, '--tile', '8']);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.out.some((l) => /^photo\.png\s+\S+\s+\S+\s+\S+\s+\S+$/.test(l))).toBe(true);
    expect(t.out.at(-1)).toMatch(/^mean\s+/);
    // Tiling changes nothing the metrics can see beyond float rounding of the network (|Δ| ≤ 0.05 dB).
    const tiledPsnr = Number(t.out.find((l) => l.startsWith('photo.png'))!.trim().split(/\s+/)[1]);
    expect(Math.abs(tiledPsnr - img.psnr)).toBeLessThanOrEqual(0.05);
  });

  it('--lr uses the given LR images; an LR image that does not fit the HR size is an error naming it', async () => {
    const lrDir = dir('lr');
    const { imresize, modCrop } = await import('../../src/eval/index.js');
    await writeImage(join(lrDir, 'photox4.png'), imresize(modCrop(hr, 4), 1 / 4));
    const made = JSON.parse((await run(['--hr', hrDir, '-m', MODEL, '--json'])).out[0]!);
    const given = await run(['--hr', hrDir, '-m', MODEL, '--lr', lrDir, '--json']);
    expect(given.code, given.err.join('\n')).toBe(0);
    // Same LR pixels either way, so the same scores (exactly: same inputs, same arithmetic).
    expect(JSON.parse(given.out[0]!).images[0]).toEqual(made.images[0]);

    const badLr = dir('lr-bad');
    await writeImage(join(badLr, 'photo.png'), imresize(modCrop(hr, 4), 1 / 2));
    const bad = await run(['--hr', hrDir, '-m', MODEL, '--lr', badLr]);
    expect(bad.code).toBe(1);
    expect(bad.out).toEqual([]);
    expect(bad.err.filter((l) => !l.startsWith('wgsr: '))).toHaveLength(1);
    expect(bad.err.at(-1)).toMatch(/lr-bad\/photo\.png ×4 is 128×96 but .*photo\.png is 66×51/);
  });

  it("--degrade realesrgan scores on the degraded LR wgsr train --val uses (same seed, same name), which --save-lr writes out", async () => {
    const { degradedEvalImage } = await import('../../src/train/degrade/eval-set.js');
    const { openValidationSet } = await import('../../src/runtime/train-run/validation.js');
    const saved = join(work, 'degraded-lr');
    const j = await run(['--hr', hrDir, '-m', MODEL, '--degrade', 'realesrgan', '--seed', '7', '--save-lr', saved, '--json']);
    expect(j.code, j.err.join('\n')).toBe(0);
    const r = JSON.parse(j.out[0]!);
    const want = await degradedEvalImage('photo.png', hr, { scale: 4, seed: 7 });
    const written = await readImage(join(saved, 'photo.png'));
    expect([written.width, written.height, written.channels]).toEqual([16, 12, 3]);
    expect(written.data).toEqual(want.lr.data);
    // The baseline is the one the training run's validation reports for its degraded column.
    const val = await openValidationSet(hrDir, 4, true, 7);
    expect(r.mean.bicubic.psnr).toBeCloseTo(val.bicubicDegraded!.psnr, 12);
    expect(r.mean.bicubic.psnr).toBeLessThan(JSON.parse((await run(['--hr', hrDir, '-m', MODEL, '--json'])).out[0]!).mean.bicubic.psnr);
    // Scoring the written LR with --lr gives the same numbers; another seed gives another LR.
    const again = JSON.parse((await run(['--hr', hrDir, '-m', MODEL, '--lr', saved, '--json'])).out[0]!);
    expect(r.images[0].seed).toBe(7);
    expect(again.images[0]).toEqual({ ...r.images[0], seed: undefined });
    const other = JSON.parse((await run(['--hr', hrDir, '-m', MODEL, '--degrade', 'realesrgan', '--seed', '8', '--json'])).out[0]!);
    expect(other.images[0].bicubic.psnr).not.toBe(r.images[0].bicubic.psnr);

    const refused = async (args: string[], message: RegExp) => {
      const x = await run(['--hr', hrDir, ...args]);
      expect(x.code).toBe(2);
      expect(x.err.at(-1)).toMatch(message);
    };
    await refused(['-m', MODEL, '--degrade', 'bicubic'], /--degrade bicubic: realesrgan is the one degradation eval makes/);
    await refused(['-m', MODEL, '--degrade', 'realesrgan', '--lr', saved], /goes with neither --sr nor --lr/);
    await refused(['-m', MODEL, '--seed', '3'], /--seed draws the degradations of --degrade realesrgan/);
    await refused(['-m', MODEL, '--save-lr', hrDir], /--save-lr .* would write into the input folder/);
    // The same folder reached through a link is the same folder: its photos stay as they are.
    const link = join(work, 'hr-link');
    symlinkSync(hrDir, link);
    await refused(['-m', MODEL, '--save-lr', link], /--save-lr .*hr-link would write into the input folder/);
  });

  it('--seed with several seeds scores each image on each draw, means over all of them, and --save-lr writes one folder per seed', async () => {
    const hr2 = join(work, 'hr-two');
    mkdirSync(hr2, { recursive: true });
    await writeImage(join(hr2, 'photo.png'), hr);
    await writeImage(join(hr2, 'second.png'), cropImage(await readImage(PHOTO), 52, 44));
    const one = async (seed: number) => {
      const r = await run(['--hr', hr2, '-m', MODEL, '--degrade', 'realesrgan', '--seed', String(seed), '--json']);
      expect(r.code, r.err.join('\n')).toBe(0);
      return JSON.parse(r.out[0]!);
    };
    const [a, b] = [await one(3), await one(5)];
    expect(a.images.map((i: { seed: number }) => i.seed)).toEqual([3, 3]);
    const saved = join(work, 'lr-two-seeds');
    const both = await run(['--hr', hr2, '-m', MODEL, '--degrade', 'realesrgan', '--seed', '3,5', '--save-lr', saved, '--json']);
    expect(both.code, both.err.join('\n')).toBe(0);
    const r = JSON.parse(both.out[0]!);
    // Image by image, each seed's row is the one that seed alone gives.
    expect(r.images).toEqual([a.images[0], b.images[0], a.images[1], b.images[1]]);
    const mean = (k: 'psnr' | 'ssim') => r.images.reduce((t: number, i: Record<string, number>) => t + i[k]!, 0) / 4;
    expect(r.mean.psnr).toBeCloseTo(mean('psnr'), 10);
    expect(r.mean.ssim).toBeCloseTo(mean('ssim'), 10);
    expect(r.mean.psnr).not.toBeCloseTo(a.mean.psnr, 6);
    // Each seed's folder holds that draw's LR images, which --lr scores the same as the seed alone.
    const again = await run(['--hr', hr2, '-m', MODEL, '--lr', join(saved, 'seed-5'), '--json']);
    expect(JSON.parse(again.out[0]!).images.map((i: { psnr: number }) => i.psnr)).toEqual(b.images.map((i: { psnr: number }) => i.psnr));
    expect(both.err.some((l) => l.startsWith('second.png seed 5 (4/4): '))).toBe(true);

    // A seed's folder may not be the HR folder: --save-lr P with seed 3 would write P/seed-3.
    const parent = join(work, 'parent');
    const inside = join(parent, 'seed-3');
    mkdirSync(inside, { recursive: true });
    await writeImage(join(inside, 'photo.png'), hr);
    const before = readFileSync(join(inside, 'photo.png'));
    const clash = await run(['--hr', inside, '-m', MODEL, '--degrade', 'realesrgan', '--seed', '3,5', '--save-lr', parent]);
    expect(clash.code).toBe(2);
    expect(clash.err.at(-1)).toMatch(/--save-lr .*parent would write into the input folder .*seed-3; give another one/);
    expect(readFileSync(join(inside, 'photo.png'))).toEqual(before);

    const text = await run(['--hr', hr2, '-m', MODEL, '--degrade', 'realesrgan', '--seed', '3,5']);
    expect(text.out.filter((l) => /^(photo|second)\.png \(seed [35]\)\s/.test(l))).toHaveLength(4);
    for (const [seed, message] of [
      ['3,3', /--seed 3,3: seed 3 is given twice/],
      ['3,x', /--seed must be a whole number ≥ 0 or a comma-separated list of them, got "x"/],
      ['3,', /--seed needs a value/],
    ] as const) {
      const x = await run(['--hr', hr2, '-m', MODEL, '--degrade', 'realesrgan', '--seed', seed]);
      expect(x.code, seed).toBe(2);
      expect(x.err.at(-1)).toMatch(message);
    }
  });

  it('--dni-model F --denoise-strength S scores the blend S·model + (1 − S)·F, the same as a file holding that blend', async () => {
    const { loadWeights } = await import('../../src/weights/load.js');
    const { interpolateStateDicts } = await import('../../src/weights/state-dict.js');
    const { writeTorchZip } = await import('../../src/weights/pth-writer.js');
    const tiny = loadWeights(readFileSync(MODEL)).stateDict;
    // A second model of the same shapes: every weight scaled by 1.2.
    const other = new Map([...tiny].map(([k, t]) => [k, { ...t, data: t.data.map((x) => x * 1.2) }]));
    const otherPath = join(work, 'other.pth');
    const blendPath = join(work, 'blend.pth');
    writeFileSync(otherPath, writeTorchZip(other));
    writeFileSync(blendPath, writeTorchZip(interpolateStateDicts(tiny, other, 0.3)));
    const score = async (args: string[]) => {
      const r = await run(['--hr', hrDir, ...args, '--json']);
      expect(r.code, r.err.join('\n')).toBe(0);
      return { json: JSON.parse(r.out[0]!), err: r.err };
    };
    const blended = await score(['-m', MODEL, '--dni-model', otherPath, '--denoise-strength', '0.3']);
    expect(blended.err).toContain('wgsr: model model.pth (denoise strength 0.3, with other.pth): SRVGGNetCompact ×4');
    expect(blended.json).toMatchObject({ model: 'model.pth', dni_model: 'other.pth', denoise_strength: 0.3 });
    expect(blended.json.images).toEqual((await score(['-m', blendPath])).json.images);
    // The blend is neither model, and strength 1 is -m alone.
    const alone = (await score(['-m', MODEL])).json.images[0].psnr;
    expect(blended.json.images[0].psnr).not.toBe(alone);
    expect((await score(['-m', MODEL, '--dni-model', otherPath, '-dn', '1'])).json.images[0].psnr).toBe(alone);

    for (const [args, message] of [
      [['-m', MODEL, '--dni-model', otherPath], /--dni-model and --denoise-strength go together/],
      [['-m', MODEL, '--denoise-strength', '0.5'], /--dni-model and --denoise-strength go together/],
      [['-m', MODEL, '--dni-model', otherPath, '--denoise-strength', '1.5'], /--denoise-strength must be a number in \[0, 1\]/],
      [['--sr', hrDir, '--scale', '4', '--dni-model', otherPath, '--denoise-strength', '0.5'], /--dni-model blends a second model into -m <model>; give -m too/],
    ] as const) {
      const r = await run(['--hr', hrDir, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.at(-1)).toMatch(message);
    }
  });

  it.skipIf(!HAVE_UPSCAYL)("-m and --dni-model take ncnn's .param (its .bin beside it): the scores of the same weights as .safetensors", async () => {
    const param = join(UPSCAYL_MODELS, 'realesrgan-x4fast.param');
    const converted = join(work, 'x4fast.safetensors');
    const c = await main(['convert', param, '-o', converted], { stdout: () => {}, stderr: () => {}, interactive: false });
    expect(c).toBe(0);
    const score = async (args: string[]) => {
      const r = await run(['--hr', hrDir, ...args, '--json']);
      expect(r.code, r.err.join('\n')).toBe(0);
      return JSON.parse(r.out[0]!);
    };
    const fromParam = await score(['-m', param]);
    expect(fromParam.model).toBe('realesrgan-x4fast.param');
    const fromFile = (await score(['-m', converted])).images;
    expect(fromParam.images).toEqual(fromFile);
    // Half and half of one model is that model exactly (0.5·x + 0.5·x = x in floating point).
    expect((await score(['-m', converted, '--dni-model', param, '--denoise-strength', '0.5'])).images).toEqual(fromFile);
  });

  it('-x scores the test-time augmentation: the scores of wgsr upscale -x output scored with --sr', async () => {
    const lrDir = dir('lr-tta');
    const { imresize, modCrop } = await import('../../src/eval/index.js');
    await writeImage(join(lrDir, 'photo.png'), imresize(modCrop(hr, 4), 1 / 4));
    const tta = await run(['--hr', hrDir, '-m', MODEL, '--lr', lrDir, '-x', '--json']);
    expect(tta.code, tta.err.join('\n')).toBe(0);
    expect(tta.err).toContain('wgsr: model model.pth: SRVGGNetCompact ×4, test-time augmentation (mean of 8 flips/rotations)');
    const r = JSON.parse(tta.out[0]!);
    expect(r.tta).toBe(true);
    const plain = JSON.parse((await run(['--hr', hrDir, '-m', MODEL, '--lr', lrDir, '--json'])).out[0]!);
    expect(plain.tta).toBeUndefined();
    expect(r.images[0].psnr).not.toBe(plain.images[0].psnr);
    expect(r.images[0].bicubic).toEqual(plain.images[0].bicubic);

    // The same pixels through the upscale command: the same scores (same rounding, same metrics).
    const srDir = dir('sr-tta');
    const up = await main(['upscale', join(lrDir, 'photo.png'), join(srDir, 'photo.png'), '-m', MODEL, '-x', '-q'], { stdout: () => {}, stderr: () => {}, interactive: false });
    expect(up).toBe(0);
    const fromUpscale = JSON.parse((await run(['--hr', hrDir, '--sr', srDir, '--scale', '4', '--json'])).out[0]!);
    expect(fromUpscale.images[0].psnr).toBeCloseTo(r.images[0].psnr, 9);
    expect(fromUpscale.images[0].ssim).toBeCloseTo(r.images[0].ssim, 9);

    const refused = await run(['--hr', hrDir, '--sr', srDir, '--scale', '4', '--tta']);
    expect(refused.code).toBe(2);
    expect(refused.err.at(-1)).toMatch(/--tta runs a model over flips and rotations of its input; it needs -m <model>/);
  });

  it('--scale that disagrees with the model is an error', async () => {
    const r = await run(['--hr', hrDir, '-m', MODEL, '--scale', '2']);
    expect(r.code).toBe(2); // a usage error
    expect(r.err.at(-1)).toMatch(/--scale 2 does not match the model's scale ×4/);
  });
});

it('a missing model file is one line', async () => {
  writeFileSync(join(dir('hr-one'), 'x.png'), '');
  const r = await run(['--hr', join(work, 'hr-one'), '-m', join(work, 'none.pth')]);
  expect(r.code).toBe(1);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(/cannot read the model .*none\.pth: no such file/);
});
