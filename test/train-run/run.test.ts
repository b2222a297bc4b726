import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageFolder } from './images.js';
import { readImage } from '../../src/io/index.js';
import { loadModel } from '../../src/models/load.js';
import { newNetwork } from '../../src/models/scratch/index.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { runTraining, type LogEntry, type RunRequest } from '../../src/runtime/train-run/run.js';
import type { RunSettings } from '../../src/runtime/train-run/settings.js';
import { decodeRunState, encodeRunState } from '../../src/runtime/train-run/state-file.js';
import { checkRealEsrganKeys } from '../../src/train/degrade/realesrgan-keys.js';
import { openValidationSet, validate } from '../../src/runtime/train-run/validation.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';

const ROOT = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'wgsr-train-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const folder = (name: string, images: Parameters<typeof imageFolder>[2]) => imageFolder(work, name, images);

const hr = folder('hr', [0, 1, 2].map((s) => ({ name: `p${s}.png`, width: 96, height: 80, seed: s + 1 })));
const val = folder('val', [{ name: 'v.png', width: 64, height: 64, seed: 7 }]);

function settings(over: Partial<RunSettings> = {}): RunSettings {
  return {
    hr,
    scale: 2,
    model: { arch: 'srvgg', sizes: { numFeat: 8, numConv: 2 } },
    iters: 6,
    batch: 2,
    patch: 8,
    loss: 'l1',
    lrRate: 1e-3,
    betas: [0.9, 0.99],
    weightDecay: 0,
    schedule: 'multistep:3,5:0.5',
    degrade: 'bicubic',
    freeze: [],
    seed: 3,
    precision: 'f32',
    ...over,
  };
}

function request(dir: string, over: Partial<RunRequest> = {}): RunRequest {
  return { dir, resume: false, settings: settings(), sizes: { numFeat: 8, numConv: 2 }, logEvery: 1, valEvery: 1000, saveEvery: 1000, workers: 0, ...over };
}

const losses = (dir: string) =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogEntry)
    .filter((e): e is Extract<LogEntry, { loss: number }> => 'loss' in e)
    .map((e) => [e.step, e.loss, e.lr]);

describe('wgsr train run machinery', () => {
  it('a run stopped at step 3 and resumed gives the uninterrupted run\'s losses bit for bit (same adapter, same batches, same state)', async () => {
    const whole = join(work, 'whole');
    await runTraining(request(whole));
    const want = losses(whole);
    expect(want).toHaveLength(6);
    // The multistep schedule's rates, as torch's MultiStepLR([3, 5], 0.5) gives them.
    expect(want.map((l) => l[2])).toEqual([1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4]);

    const parted = join(work, 'parted');
    const controller = new AbortController();
    const first = await runTraining(request(parted), { signal: controller.signal, onStep: (step) => step === 3 && controller.abort() });
    expect(first).toMatchObject({ step: 3, interrupted: true });
    expect(decodeRunState(readFileSync(join(parted, 'state.bin')), 'state.bin').state).toMatchObject({ step: 3, sampler: { seed: 3, batch: 3 } });
    const second = await runTraining(request(parted, { resume: true, settings: {} }));
    expect(second).toMatchObject({ step: 6, interrupted: false });
    expect(losses(parted)).toEqual(want);
    // The weights too.
    expect(readFileSync(join(parted, 'last.safetensors')).equals(readFileSync(join(whole, 'last.safetensors')))).toBe(true);
  }, 120_000);

  it('resumes exactly with BatchNorm (SRGAN: running statistics go through state.bin) and Real-ESRGAN degradations mixed with clean samples', async () => {
    const over = { settings: settings({ model: { arch: 'srgan', sizes: { numFeat: 4, numResidual: 1 } }, degrade: 'realesrgan', cleanProb: 0.5, iters: 4, patch: 8 }), sizes: { numFeat: 4, numResidual: 1 } };
    const whole = join(work, 'srgan-whole');
    await runTraining(request(whole, over));
    const parted = join(work, 'srgan-parted');
    const controller = new AbortController();
    await runTraining(request(parted, over), { signal: controller.signal, onStep: (step) => step === 2 && controller.abort() });
    expect(decodeRunState(readFileSync(join(parted, 'state.bin')), 'state.bin').state.settings).toMatchObject({ degrade: 'realesrgan', cleanProb: 0.5 });
    await expect(runTraining(request(parted, { ...over, resume: true, settings: { cleanProb: 0.25 } }))).rejects.toThrow(/--clean-prob: the run has 0.5, this command 0.25/);
    await runTraining(request(parted, { ...over, resume: true, settings: {} }));
    expect(losses(parted)).toEqual(losses(whole));
    expect(readFileSync(join(parted, 'last.pth')).equals(readFileSync(join(whole, 'last.pth')))).toBe(true);
    const bn = loadModel(readFileSync(join(whole, 'last.pth'))).weights.stateDict.get('blocks.0.bn1.running_mean')!.data;
    expect(bn.some((x) => x !== 0)).toBe(true);
  }, 120_000);

  it('--degrade-options: the batches follow them, state.bin and the recipe keep them, and a resume must have them (worker threads: prefetch.test.ts)', async () => {
    const sizes = { numFeat: 4, numConv: 1 };
    const base: Partial<RunSettings> = { model: { arch: 'srvgg', sizes }, degrade: 'realesrgan', iters: 3, patch: 8 };
    const mild = checkRealEsrganKeys({ second_blur_prob: 0, noise_range: [0, 1], noise_range2: [0, 1] }, 'test');
    const defaults = join(work, 'degrade-defaults');
    const inline = join(work, 'degrade-mild');
    await runTraining(request(defaults, { settings: settings(base), sizes }));
    await runTraining(request(inline, { settings: settings({ ...base, degradeOptions: mild }), sizes }));
    expect(losses(inline)).not.toEqual(losses(defaults));
    expect(decodeRunState(readFileSync(join(inline, 'state.bin')), 'state.bin').state.settings.degradeOptions).toEqual(mild);
    const recipe = (dir: string) => JSON.parse(readSafetensors(readFileSync(join(dir, 'last.safetensors'))).metadata.training_recipe!);
    expect(recipe(inline).degrade_options).toEqual(mild);
    // A run on the defaults writes the recipe it wrote before the option existed.
    expect(Object.keys(recipe(defaults))).not.toContain('degrade_options');
    const other = checkRealEsrganKeys({ second_blur_prob: 0.5 }, 'test');
    await expect(runTraining(request(inline, { resume: true, settings: { degradeOptions: other, iters: 5 } }))).rejects.toThrow(/--degrade-options: the run has \{"noise_range":\[0,1\],"noise_range2":\[0,1\],"second_blur_prob":0\}, this command \{"second_blur_prob":0.5\}/);
    await expect(runTraining(request(defaults, { resume: true, settings: { degradeOptions: mild, iters: 5 } }))).rejects.toThrow(/--degrade-options: the run has \(not given\)/);
  }, 120_000);

  it('writes last/best in both formats, a plot, a log with validation and the bicubic baseline', async () => {
    const dir = join(work, 'validated');
    const result = await runTraining(request(dir, { settings: settings({ val, iters: 4 }), valEvery: 2 }));
    for (const f of ['last.pth', 'last.safetensors', 'best.pth', 'best.safetensors', 'state.bin', 'log.jsonl', 'plot.png']) expect(existsSync(join(dir, f)), f).toBe(true);
    const vals = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => 'val' in e);
    expect(vals.map((v) => v.step)).toEqual([0, 2, 4]);
    expect(vals[0].bicubic.psnr).toBeGreaterThan(10);
    expect(result.lastVal!.psnr).toBe(vals[2].val.psnr);
    expect(loadModel(readFileSync(join(dir, 'last.pth'))).info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 2, numFeat: 8 });
    // The safetensors files say how they were made: settings, step, image names; no paths, no times.
    const { metadata } = readSafetensors(readFileSync(join(dir, 'last.safetensors')));
    expect(metadata.trained_by).toMatch(/^wgsr \d+\.\d+\.\d+ \(wgsr train\)$/);
    expect(metadata.training_recipe).not.toContain(work);
    expect(JSON.parse(metadata.training_recipe!)).toMatchObject({ model: { arch: 'srvgg', sizes: { numFeat: 8, numConv: 2 } }, step: 4, iters: 4, seed: 3, degrade: 'bicubic', ema: 0, train_images: ['p0.png', 'p1.png', 'p2.png'] });
    expect(JSON.parse(readSafetensors(readFileSync(join(dir, 'best.safetensors'))).metadata.training_recipe!).step).toBe(4);
    const plot = await readImage(join(dir, 'plot.png'));
    expect([plot.width, plot.height]).toEqual([800, 560]);
  }, 120_000);

  it('--best-by picks best.* by the clean, the degraded or the mean validation PSNR', async () => {
    // Three runs with the same seed train the same weights and log the same validations; each
    // must mark as best the running maxima of its own criterion.
    const bests: Record<string, number> = {};
    const logged: Record<string, { step: number; val: { psnr: number; degraded: { psnr: number } }; best: boolean }[]> = {};
    const by = { clean: (v: { psnr: number; degraded: { psnr: number } }) => v.psnr, degraded: (v: { degraded: { psnr: number } }) => v.degraded.psnr, mean: (v: { psnr: number; degraded: { psnr: number } }) => (v.psnr + v.degraded.psnr) / 2 };
    for (const bestBy of ['clean', 'degraded', 'mean'] as const) {
      const dir = join(work, `best-by-${bestBy}`);
      const result = await runTraining(request(dir, { settings: settings({ val, degrade: 'realesrgan', cleanProb: 0.5, iters: 4, lrRate: 1e-2, schedule: 'constant', bestBy }), valEvery: 1 }));
      const vals = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => 'val' in e);
      logged[bestBy] = vals;
      let top = -Infinity;
      const expected = vals.map((v) => {
        const score = by[bestBy](v.val);
        const isBest = v.step > 0 && score > top;
        if (isBest) top = score;
        return isBest;
      });
      expect(vals.map((v) => v.best), bestBy).toEqual(expected);
      const bestStep = vals.filter((v) => v.best).at(-1)!.step;
      expect(result.best).toEqual({ step: bestStep, psnr: top });
      bests[bestBy] = top;
      expect(result.bestBy).toBe(bestBy);
      expect(JSON.parse(readSafetensors(readFileSync(join(dir, 'best.safetensors'))).metadata.training_recipe!).step, bestBy).toBe(bestStep);
    }
    expect(logged.degraded!.map((v) => v.val)).toEqual(logged.clean!.map((v) => v.val));
    // Each run's best is its own criterion's score (the clean and degraded scores differ by dB).
    expect(new Set(Object.values(bests)).size).toBe(3);
  }, 120_000);

  it('one step that held a stall (the process stopped, a laptop asleep) does not set the it/s and ETA of the steps after it', async () => {
    const its: number[] = [];
    const stallMs = 3000;
    await runTraining(request(join(work, 'stalled'), { settings: settings({ iters: 10 }) }), {
      onProgress: (p) => its.push(p.its),
      // Step 4 takes 3 s more, as if the process had been stopped in it (Atomics.wait sleeps this thread).
      onStep: (step) => void (step === 4 && Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs)),
    });
    expect(its).toHaveLength(10);
    // A mean over the window would fall to under 10 steps per (3 s + their time); the median stays.
    expect(its[9]!).toBeGreaterThan(its[2]! / 3);
  }, 60_000);

  it('--ema: the model files and validation hold the moving average, state.bin the trained weights; resumes exactly, with the run\'s cadence', async () => {
    const over = { settings: settings({ val, iters: 4, ema: 0.5 }), valEvery: 2 };
    const whole = join(work, 'ema-whole');
    const result = await runTraining(request(whole, over));
    const parted = join(work, 'ema-parted');
    const controller = new AbortController();
    await runTraining(request(parted, over), { signal: controller.signal, onStep: (step) => step === 1 && controller.abort() });
    await expect(runTraining(request(parted, { ...over, resume: true, settings: { ema: 0.9 } }))).rejects.toThrow(/--ema: the run has 0.5, this command 0.9/);
    // Resumed without the cadence options, it keeps the run's own: a log line every step, a validation every 2.
    await runTraining(request(parted, { ...over, resume: true, settings: {}, logEvery: undefined, valEvery: undefined, saveEvery: undefined }));
    expect(losses(parted)).toEqual(losses(whole));
    const validated = readFileSync(join(parted, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => 'val' in e).map((e) => e.step);
    expect(validated).toEqual([0, 2, 4]);
    for (const f of ['last.safetensors', 'last.pth']) expect(readFileSync(join(parted, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    // state.bin: the trained weights and the optimizer state with the average (its JSON holds the seconds spent).
    const [a, b] = [parted, whole].map((d) => decodeRunState(readFileSync(join(d, 'state.bin')), 'state.bin'));
    expect(Buffer.from(a!.model).equals(Buffer.from(b!.model))).toBe(true);
    expect(Buffer.from(a!.optimizer).equals(Buffer.from(b!.optimizer))).toBe(true);

    const averaged = readFileSync(join(whole, 'last.safetensors'));
    const trained = decodeRunState(readFileSync(join(whole, 'state.bin')), 'state.bin').model;
    const weight = (bytes: Uint8Array) => loadModel(bytes).weights.stateDict.get('body.2.weight')!.data;
    expect(weight(averaged)).not.toEqual(weight(trained));
    expect(weight(readFileSync(join(whole, 'last.pth')))).toEqual(weight(averaged));
    // The logged score is the average's, not the trained weights'.
    const { device } = await testDevice();
    const set = await openValidationSet(val, 2, false, 3);
    const score = async (bytes: Uint8Array) => {
      const up = await createUpscaler(bytes, { device });
      try {
        return (await validate(up, set, 2)).psnr;
      } finally {
        up.destroy();
      }
    };
    expect(result.lastVal!.psnr).toBe(await score(averaged));
    expect(result.lastVal!.psnr).not.toBe(await score(trained));
    // A run made before --ema existed kept no average: 0.
    await expect(runTraining(request(join(work, 'whole'), { resume: true, settings: { ema: 0.999, iters: 7 } }))).rejects.toThrow(/--ema: the run has 0, this command 0.999/);
  }, 120_000);

  it('refuses to resume with different options, naming each difference', async () => {
    const dir = join(work, 'whole');
    await expect(runTraining(request(dir, { resume: true, settings: { batch: 4, seed: 9, iters: 6 } }))).rejects.toThrow(/--batch: the run has 2, this command 4[\s\S]*--seed: the run has 3, this command 9/);
    // A run without clean samples has a share of 0, whether or not its state.bin names it.
    await expect(runTraining(request(dir, { resume: true, settings: { cleanProb: 0.3, iters: 6 } }))).rejects.toThrow(/--clean-prob: the run has 0, this command 0.3/);
    // A run whose state.bin predates --best-by picked its best by the clean score, and goes on so.
    await expect(runTraining(request(dir, { resume: true, settings: { bestBy: 'degraded', iters: 6 } }))).rejects.toThrow(/--best-by: the run has "clean", this command "degraded"/);
    await expect(runTraining(request(dir, { resume: true, settings: {} }))).rejects.toThrow(/already took 6 of its 6 steps; give a larger --iters/);
    await expect(runTraining(request(join(work, 'nothing'), { resume: true, settings: {} }))).rejects.toThrow(/no state.bin there/);
    await expect(runTraining(request(dir))).rejects.toThrow(/already holds a run .*--resume/);
  }, 60_000);

  it('--freeze keeps the tensors under its prefixes as they were, and refuses a prefix that matches nothing', async () => {
    const dir = join(work, 'frozen');
    await runTraining(request(dir, { settings: settings({ iters: 2, freeze: ['body.0.'] }) }));
    const before = loadModel(writeSafetensors(newNetwork('srvgg', 2, { numFeat: 8, numConv: 2 }, 3).stateDict)).weights.stateDict;
    const after = loadModel(readFileSync(join(dir, 'last.safetensors'))).weights.stateDict;
    expect(after.get('body.0.weight')!.data).toEqual(before.get('body.0.weight')!.data);
    expect(after.get('body.0.bias')!.data).toEqual(before.get('body.0.bias')!.data);
    expect(after.get('body.2.weight')!.data).not.toEqual(before.get('body.2.weight')!.data);
    await expect(runTraining(request(join(work, 'frozen2'), { settings: settings({ iters: 2, freeze: ['conv_first.'] }) }))).rejects.toThrow(/freeze conv_first\.: no tensor of this SRVGGNetCompact starts with it; its keys are body\.0\.weight/);
  }, 60_000);

  it('rejects a damaged state.bin with a clear message', () => {
    const bytes = readFileSync(join(work, 'whole', 'state.bin'));
    expect(() => decodeRunState(bytes.subarray(0, bytes.length - 5), 'state.bin')).toThrow(/header says \d+ bytes but the file has \d+ \(truncated/);
    expect(() => decodeRunState(new Uint8Array(40), 'state.bin')).toThrow(/does not start with wgsr's run-state header/);
    const c = decodeRunState(bytes, 'state.bin');
    const v2 = encodeRunState(c);
    v2[8] = 2;
    expect(() => decodeRunState(v2, 'state.bin')).toThrow(/run state version 2; this wgsr reads version 1/);
  });

  it('bad data: a patch larger than the images, mismatched pairs, an empty folder', async () => {
    await expect(runTraining(request(join(work, 'big'), { settings: settings({ patch: 64 }) }))).rejects.toThrow(/p0.png: 96×80 is too small for 64×64 LR patches at ×2/);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    await expect(runTraining(request(join(work, 'e'), { settings: settings({ hr: empty }) }))).rejects.toThrow(/no .png, .jpg, .jpeg or .webp images/);
    const lr = folder('lr-mismatch', [{ name: 'p0.png', width: 40, height: 40, seed: 1 }]);
    await expect(runTraining(request(join(work, 'm'), { settings: settings({ lr, degrade: 'none' }) }))).rejects.toThrow(/no partner in the LR folder .* for p1.png, p2.png/);
  }, 60_000);

  it.skipIf(!existsSync(join(ROOT, 'dist/cli/main.js'))).each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('the command saves a checkpoint on %s and exits %i (needs `npm run build`)', async (signal, exit) => {
    const dir = join(work, `signal-${signal}`);
    const child = spawn(process.execPath, [join(ROOT, 'bin/wgsr.js'), 'train', '--hr', hr, '--arch', 'srvgg', '--num-feat', '8', '--num-conv', '2', '--scale', '2', '--patch', '8', '--batch', '2', '--iters', '100000', '-o', dir, '--json', '--log-every', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').length > 5 && !child.killed) child.kill(signal);
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(exit);
    const state = decodeRunState(readFileSync(join(dir, 'state.bin')), 'state.bin').state;
    expect(state.step).toBeGreaterThanOrEqual(4);
    expect(losses(dir).at(-1)![0]).toBe(state.step);
  }, 120_000);
});
