import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WgsrError } from '../errors.js';
import { readRegularFileSync } from '../io/read-file.js';
import { SCRATCH_ARCHS, type ScratchSizes } from '../models/scratch/index.js';
import { fileSha256 } from '../runtime/train-run/run.js';
import { BEST_BY, type BestBy, type RunSettings } from '../runtime/train-run/settings.js';
import { checkRealEsrganKeys } from '../train/degrade/realesrgan-keys.js';
import { parseSchedule, scheduleText } from '../train/schedule.js';
import { numberArg, stringArg, type OptionSpec } from './command.js';

// wgsr train's usage, options and their checking into a run's settings (train.ts runs them).

export const TRAIN_USAGE = `Usage: wgsr train --hr <dir> [--lr <dir>] --scale N (-m model | -n name | --arch NAME [sizes]) -o <run dir> [options]
       wgsr train --resume <run dir> [--iters N]

Data
  --hr DIR                HR images (PNG/JPEG/WebP, 8/16-bit, gray → RGB), held in memory
  --lr DIR                paired LR images (same names, or DIV2K's 0001.png ↔ 0001x4.png);
                          needs --degrade none
  --degrade MODE          none (train on --lr), bicubic (LR = MATLAB bicubic of HR; the default
                          without --lr), realesrgan (Real-ESRGAN's degradations, made per crop)
  --clean-prob P          with realesrgan: the share of samples given the clean bicubic LR
                          instead (default 0, Real-ESRGAN's own: all degraded)
  --degrade-options FILE  with realesrgan: a JSON object of Real-ESRGAN's YAML settings that
                          replace its defaults, e.g. {"second_blur_prob": 0.4, "noise_range2":
                          [1, 15]} (blur_sigma, kernel_list/prob, sinc_prob, resize_prob/range,
                          gaussian_noise_prob, noise_range, poisson_scale_range, gray_noise_prob,
                          jpeg_range, and each with 2 for the second stage; second_blur_prob,
                          final_sinc_prob); --val's degraded LR keeps the defaults, so runs compare
  --patch N               LR patch side (default 32); HR patches are N·scale
  --batch N               patches per step (default 16)
  --val DIR               held-out HR images: PSNR/SSIM-Y (BasicSR conventions) of the network
                          on their bicubic LR, every --val-every steps and at the end, with the
                          bicubic baseline (and on fixed degraded LR with --degrade realesrgan)
Model
  -m, --model FILE        fine-tune this .pth / .safetensors / ncnn model
  -n, --model-name NAME   fine-tune a model of the catalogue (wgsr models), downloaded once
  --model-dir DIR         where models by name are kept (default: the cache folder)
  --arch NAME             a new network: ${SCRATCH_ARCHS.join(', ')} (PyTorch's default init, seeded)
  --num-feat N            srvgg, edsr, rrdbnet, srgan (default 64)
  --num-conv N            srvgg (default 16)
  --num-block N           edsr (default 16), rrdbnet (default 23)
  --num-grow-ch N         rrdbnet (default 32)
  --num-residual N        srgan (default 16)
  --res-scale X           edsr's residual scaling (default 1)
  --scale N               upscaling factor (default 4; a -m model must have it)
  --freeze P1,P2          state-dict key prefixes not to train (e.g. body.0.,body.1.)
Optimisation
  --iters N               steps (default 100000)
  --loss l1|mse           default l1
  --lr-rate X             Adam's learning rate (default 2e-4)
  --betas B1,B2           default 0.9,0.99
  --weight-decay X        default 0
  --schedule S            constant (default), multistep:M1,M2:GAMMA (MultiStepLR),
                          cosine:ETA_MIN (CosineAnnealingLR over --iters)
  --ema DECAY             keep a moving average of the weights (BasicSR's ema_decay, e.g.
                          0.999): the model files and validation use it, as Real-ESRGAN's
                          released models do (default: none)
  --seed N                data order, crops, degradations and initial weights (default 0)
  --precision f32         training precision (f32 only)
  --kernels K             conv kernels: heuristic (default: the register tile on CPU adapters,
                          the implicit GEMM on GPUs), auto (measured, cached; see wgsr tune),
                          register-tile or gemm; a run repeats bit for bit with the same ones
  --max-memory MB         GPU memory a step may use (default 1024)
Run
  -o, --output DIR        the run directory: last.pth, last.safetensors, best.pth/.safetensors
                          (highest validation PSNR, see --best-by), state.bin, log.jsonl, plot.png
  --best-by S             the validation score best.* is picked by: clean (PSNR-Y on bicubic
                          LR), degraded (on the fixed degraded LR) or mean (of the two);
                          default degraded with --degrade realesrgan, else clean
  --resume DIR            go on with a stopped run exactly where it stopped (its options are
                          kept; options given must equal the run's, except --iters and --val)
  --val-every N           default 5000      --save-every N   default 5000
  --log-every N           default 100 (a log.jsonl line); a resumed run keeps its own three
  --workers N             threads making batches (default with realesrgan: the cores less
                          two, from 2 to 8; else 0)
  --json                  log lines as JSON on stdout instead of the progress line

Ctrl-C (SIGINT/SIGTERM) saves a checkpoint and exits 130/143; --resume goes on from it with the
same batches, so the losses are those of an uninterrupted run.`;

export const TRAIN_OPTIONS: OptionSpec[] = [
  { name: 'hr', kind: 'string' },
  { name: 'lr', kind: 'string' },
  { name: 'scale', kind: 'string', short: 's' },
  // -m takes any file wgsr loads (readModelPath: .pth, .safetensors, ncnn's pair). -n resolves a
  // catalogue name to its cached file (downloaded once), whose path and hash the run records.
  { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
  { name: 'model-name', kind: 'string', short: 'n' },
  { name: 'model-dir', kind: 'string' },
  { name: 'arch', kind: 'string' },
  { name: 'num-feat', kind: 'string' },
  { name: 'num-conv', kind: 'string' },
  { name: 'num-block', kind: 'string' },
  { name: 'num-grow-ch', kind: 'string' },
  { name: 'num-residual', kind: 'string' },
  { name: 'res-scale', kind: 'string' },
  { name: 'output', kind: 'string', short: 'o' },
  { name: 'iters', kind: 'string' },
  { name: 'batch', kind: 'string' },
  { name: 'patch', kind: 'string' },
  { name: 'loss', kind: 'string' },
  { name: 'lr-rate', kind: 'string' },
  { name: 'betas', kind: 'string' },
  { name: 'weight-decay', kind: 'string' },
  { name: 'schedule', kind: 'string' },
  { name: 'degrade', kind: 'string' },
  { name: 'clean-prob', kind: 'string' },
  { name: 'degrade-options', kind: 'string' },
  { name: 'val', kind: 'string' },
  { name: 'val-every', kind: 'string' },
  { name: 'best-by', kind: 'string' },
  { name: 'save-every', kind: 'string' },
  { name: 'log-every', kind: 'string' },
  { name: 'resume', kind: 'string' },
  { name: 'freeze', kind: 'string' },
  { name: 'ema', kind: 'string' },
  { name: 'seed', kind: 'string' },
  { name: 'precision', kind: 'string' },
  { name: 'max-memory', kind: 'string' },
  { name: 'kernels', kind: 'string' },
  { name: 'workers', kind: 'string' },
  { name: 'json', kind: 'flag' },
];

export const whole = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

/**
 * Worker threads making batches when --workers is not given. The degradations take a core about
 * 0.2 s a batch of 16 × 32² (×4, every sample degraded), so a GPU that steps faster than a few
 * batches a second needs several; two cores stay for the main thread and the adapter (a CPU
 * adapter computes on them). A resumed run's degrade is its own (undefined here): it gets the
 * threads too, which change the speed, never the batches.
 */
export function defaultWorkers(degrade: RunSettings['degrade'] | undefined, cores: number): number {
  if (degrade !== 'realesrgan' && degrade !== undefined) return 0;
  return Math.max(2, Math.min(8, cores - 2));
}

function folder(path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new WgsrError('BAD_ARGUMENT', `${flag} ${path}: no such folder`);
  return resolve(path);
}

/** --degrade-options FILE: its JSON object of Real-ESRGAN's settings, checked (keys sorted). */
function degradeOptionsFile(path: string | undefined): Record<string, unknown> | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new WgsrError('BAD_ARGUMENT', `--degrade-options ${path}: no such file`);
  // Only a regular file of bounded size is read: a folder or a device gets its own clear error.
  const bytes = readRegularFileSync(path, `--degrade-options ${path}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new WgsrError('BAD_ARGUMENT', `--degrade-options ${path} is not JSON (${(e as Error).message}); write Real-ESRGAN's settings as a JSON object`);
  }
  return checkRealEsrganKeys(parsed, `--degrade-options ${path}`);
}

/** The settings given on the command line (all of them for a new run; those present for --resume). */
export function givenSettings(v: Record<string, string | boolean | undefined>, resuming: boolean): { settings: Partial<RunSettings>; sizes: ScratchSizes } {
  const s = (name: string) => stringArg(v, name);
  const sizes: ScratchSizes = {
    numFeat: numberArg(s('num-feat'), '--num-feat', whole(1), 'a whole number ≥ 1'),
    numConv: numberArg(s('num-conv'), '--num-conv', whole(0), 'a whole number ≥ 0'),
    numBlock: numberArg(s('num-block'), '--num-block', whole(0), 'a whole number ≥ 0'),
    numGrowCh: numberArg(s('num-grow-ch'), '--num-grow-ch', whole(1), 'a whole number ≥ 1'),
    numResidual: numberArg(s('num-residual'), '--num-residual', whole(0), 'a whole number ≥ 0'),
    resScale: numberArg(s('res-scale'), '--res-scale', (n) => n > 0, 'a number > 0'),
  };
  const modelPath = s('model');
  const arch = s('arch');
  if (modelPath !== undefined && arch !== undefined) throw new WgsrError('BAD_ARGUMENT', 'give either -m <model> (fine-tune) or --arch <name> (from scratch), not both');
  if (modelPath !== undefined) {
    const extra = (Object.keys(sizes) as (keyof ScratchSizes)[]).filter((k) => k !== 'resScale' && sizes[k] !== undefined);
    if (extra.length) throw new WgsrError('BAD_ARGUMENT', `the sizes (${extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')}) go with --arch; a -m model has its own`);
    if (!existsSync(modelPath)) throw new WgsrError('BAD_ARGUMENT', `-m ${modelPath}: no such file`);
  }
  if (!resuming && modelPath === undefined && arch === undefined) throw new WgsrError('BAD_ARGUMENT', 'give the network: -m <model file> to fine-tune, or --arch srvgg|edsr|rrdbnet|srgan to train one from scratch (see wgsr train --help)');
  const betasText = s('betas');
  let betas: [number, number] | undefined;
  if (betasText !== undefined) {
    const b = betasText.split(',').map(Number);
    if (b.length !== 2 || !b.every((x) => x >= 0 && x < 1) || betasText.includes(' ,')) throw new WgsrError('BAD_ARGUMENT', `--betas ${betasText}: give two numbers in [0, 1), e.g. 0.9,0.99`);
    betas = b as [number, number];
  }
  const loss = s('loss');
  if (loss !== undefined && loss !== 'l1' && loss !== 'mse') throw new WgsrError('BAD_ARGUMENT', `--loss ${loss}: l1 or mse`);
  const degrade = s('degrade');
  if (degrade !== undefined && !['none', 'bicubic', 'realesrgan'].includes(degrade)) throw new WgsrError('BAD_ARGUMENT', `--degrade ${degrade}: none, bicubic or realesrgan`);
  const precision = s('precision');
  if (precision !== undefined && precision !== 'f32') throw new WgsrError('BAD_ARGUMENT', `--precision ${precision}: training runs in f32 only (f32 master weights and activations)`);
  const freeze = s('freeze')?.split(',').filter((p) => p.length > 0);
  if (freeze !== undefined && freeze.length === 0) throw new WgsrError('BAD_ARGUMENT', '--freeze needs key prefixes, e.g. body.0.,body.1.');
  const bestBy = s('best-by');
  if (bestBy !== undefined && !(BEST_BY as readonly string[]).includes(bestBy)) throw new WgsrError('BAD_ARGUMENT', `--best-by ${bestBy}: ${BEST_BY.join(', ')}`);
  const lrDir = folder(s('lr'), '--lr');
  const settings: Partial<RunSettings> = {
    hr: folder(s('hr'), '--hr'),
    lr: lrDir,
    scale: numberArg(s('scale'), '--scale', (n) => [1, 2, 3, 4, 8].includes(n), 'one of 1, 2, 3, 4, 8'),
    model: modelPath !== undefined ? { file: resolve(modelPath), sha256: fileSha256(modelPath) } : arch !== undefined ? { arch, sizes: {} } : undefined,
    iters: numberArg(s('iters'), '--iters', whole(1), 'a whole number ≥ 1'),
    batch: numberArg(s('batch'), '--batch', whole(1), 'a whole number ≥ 1'),
    patch: numberArg(s('patch'), '--patch', whole(4), 'a whole number ≥ 4'),
    loss: loss as RunSettings['loss'] | undefined,
    lrRate: numberArg(s('lr-rate'), '--lr-rate', (n) => n > 0, 'a number > 0'),
    betas,
    weightDecay: numberArg(s('weight-decay'), '--weight-decay', (n) => n >= 0, 'a number ≥ 0'),
    schedule: s('schedule') !== undefined ? scheduleText(parseSchedule(s('schedule')!)) : undefined,
    degrade: degrade as RunSettings['degrade'] | undefined,
    cleanProb: numberArg(s('clean-prob'), '--clean-prob', (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
    degradeOptions: degradeOptionsFile(s('degrade-options')),
    ema: numberArg(s('ema'), '--ema', (n) => n >= 0 && n < 1, 'a decay in [0, 1), e.g. 0.999 (0: none)'),
    val: folder(s('val'), '--val'),
    bestBy: bestBy as BestBy | undefined,
    freeze,
    seed: numberArg(s('seed'), '--seed', whole(0), 'a whole number ≥ 0'),
    precision: precision as 'f32' | undefined,
  };
  return { settings, sizes };
}

/** A new run's settings: the given ones over the defaults. */
export function newRunSettings(given: Partial<RunSettings>, sizes: ScratchSizes): RunSettings {
  if (!given.hr) throw new WgsrError('BAD_ARGUMENT', 'give the HR training images with --hr <dir> (see wgsr train --help)');
  const degrade = given.degrade ?? (given.lr ? 'none' : 'bicubic');
  if (given.cleanProb !== undefined && given.cleanProb > 0 && degrade !== 'realesrgan') {
    throw new WgsrError('BAD_ARGUMENT', `--clean-prob mixes clean bicubic LR into --degrade realesrgan; with --degrade ${degrade} every sample is already ${degrade === 'bicubic' ? 'clean' : 'your LR'}`);
  }
  if (given.degradeOptions !== undefined && degrade !== 'realesrgan') {
    throw new WgsrError('BAD_ARGUMENT', `--degrade-options sets Real-ESRGAN's degradations; give --degrade realesrgan with it (this run has --degrade ${degrade})`);
  }
  if (given.bestBy !== undefined && given.val === undefined) throw new WgsrError('BAD_ARGUMENT', `--best-by picks best.* among the validations; give the held-out images with --val <dir>`);
  if (given.bestBy !== undefined && given.bestBy !== 'clean' && degrade !== 'realesrgan') {
    throw new WgsrError('BAD_ARGUMENT', `--best-by ${given.bestBy} needs the degraded validation LR, which --degrade realesrgan makes; this run has --degrade ${degrade} (use --best-by clean)`);
  }
  const model = given.model!;
  if ('arch' in model) model.sizes = Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined)) as Record<string, number>;
  return {
    hr: given.hr,
    lr: given.lr,
    scale: given.scale ?? 4,
    model,
    iters: given.iters ?? 100000,
    batch: given.batch ?? 16,
    patch: given.patch ?? 32,
    loss: given.loss ?? 'l1',
    lrRate: given.lrRate ?? 2e-4,
    betas: given.betas ?? [0.9, 0.99],
    weightDecay: given.weightDecay ?? 0,
    schedule: given.schedule ?? 'constant',
    degrade,
    ...(given.cleanProb ? { cleanProb: given.cleanProb } : {}),
    ...(given.degradeOptions ? { degradeOptions: given.degradeOptions } : {}),
    ...(given.ema ? { ema: given.ema } : {}),
    val: given.val,
    // A run trained on degradations is for degraded input: its best is the one that does best there.
    bestBy: given.bestBy ?? (degrade === 'realesrgan' ? 'degraded' : 'clean'),
    freeze: given.freeze ?? [],
    seed: given.seed ?? 0,
    precision: 'f32',
  };
}
