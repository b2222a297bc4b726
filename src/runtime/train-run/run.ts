import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { KernelsOption } from '../../engine/kernels.js';
import { WgsrError } from '../../errors.js';
import { encodePng } from '../../io/png.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { ModelOptions } from '../../models/architecture.js';
import { newNetwork, type ScratchSizes } from '../../models/scratch/index.js';
import type { Trainer } from '../../trainer.js';
import { createPatchSampler, type PatchSampler } from '../../train/data/sampler.js';
import { degradationFromRealEsrganKeys } from '../../train/degrade/realesrgan-keys.js';
import { learningRate, parseSchedule } from '../../train/schedule.js';
import { createUpscaler } from '../../upscaler.js';
import { writeSafetensors } from '../../weights/safetensors.js';
import type { ModelBytes } from '../../weights/types.js';
import { kernelCacheFile } from '../kernel-cache-file.js';
import { readModelPath } from '../model-path.js';
import { createServerDevice } from '../node.js';
import { createTrainer } from '../node-trainer.js';
import { createPrefetchingSampler, openTrainingSet, type TrainingSetSpec } from '../node-train-data/index.js';
import { trainingMetadata } from './file-metadata.js';
import { drawTrainingPlot } from './plot.js';
import { decodeRunState, encodeRunState, type Cadence, type RunState } from './state-file.js';
import { resumeSettings, type BestBy, type RunSettings } from './settings.js';
import { openValidationSet, validate, type ValidationScore, type ValidationSet } from './validation.js';

/** One line of log.jsonl. */
export type LogEntry =
  | { step: number; loss: number; loss_mean: number; lr: number; its: number }
  | { step: number; val: ValidationScore; bicubic: { psnr: number; ssim: number; degraded?: { psnr: number; ssim: number } }; best: boolean };

export interface TrainProgress {
  step: number;
  total: number;
  /** Bias-corrected exponential mean of the loss (β 0.98). */
  smoothLoss: number;
  lr: number;
  /** Over the last few seconds. */
  its: number;
  etaSeconds: number;
}

export interface RunHooks {
  signal?: AbortSignal;
  onNote?: (line: string) => void;
  onProgress?: (p: TrainProgress) => void;
  onLog?: (entry: LogEntry) => void;
  /** Called after each step with its loss (tests stop a run at step k from here). */
  onStep?: (step: number, loss: number) => void;
}

export interface RunRequest {
  /** The run directory (created; for --resume, the run to go on with). */
  dir: string;
  resume: boolean;
  /** For a new run: every setting. For a resume: the ones given on the command line. */
  settings: Partial<RunSettings>;
  /** Sizes for --arch (a new run); --res-scale is EDSR's model option. */
  sizes?: ScratchSizes;
  /** Steps between log lines, validations, checkpoints; absent: the resumed run's own, else DEFAULT_CADENCE's. */
  logEvery?: number;
  valEvery?: number;
  saveEvery?: number;
  /** Worker threads making batches (0: on this thread). */
  workers: number;
  maxMemory?: number;
  /** Which conv kernels run (default: the heuristic); they change the low-order bits of the sums. */
  kernels?: KernelsOption;
}

export interface RunResult {
  step: number;
  interrupted: boolean;
  lastVal?: ValidationScore;
  bicubic?: { psnr: number; ssim: number; degraded?: { psnr: number; ssim: number } };
  /** The best validation: its step and its PSNR by bestBy. */
  best?: { step: number; psnr: number };
  bestBy: BestBy;
  seconds: number;
}

export const DEFAULT_CADENCE: Cadence = { logEvery: 100, valEvery: 5000, saveEvery: 5000 };

const FILES = { pth: 'last.pth', safetensors: 'last.safetensors', bestPth: 'best.pth', bestSafetensors: 'best.safetensors', state: 'state.bin', log: 'log.jsonl', plot: 'plot.png' } as const;

/** A new run's model bytes: the -m file, or a network from scratch. */
function initialModel(s: RunSettings, sizes: ScratchSizes | undefined): { bytes: ModelBytes; modelOptions: ModelOptions; source: string } {
  if ('file' in s.model) return { bytes: readModelPath(s.model.file), modelOptions: sizes?.resScale !== undefined ? { resScale: sizes.resScale } : {}, source: basename(s.model.file) };
  const made = newNetwork(s.model.arch, s.scale, sizes ?? {}, s.seed);
  return { bytes: writeSafetensors(made.stateDict), modelOptions: made.modelOptions, source: `--arch ${s.model.arch}` };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The PSNR best.* is picked by (runs without degraded validation LR have only the clean one). */
function bestScore(v: ValidationScore, by: BestBy): number {
  if (by === 'clean' || !v.degraded) return v.psnr;
  return by === 'degraded' ? v.degraded.psnr : (v.psnr + v.degraded.psnr) / 2;
}

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function readLog(path: string, upTo: number): LogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as LogEntry;
      } catch {
        throw new WgsrError('BAD_ARGUMENT', `${path}, line ${i + 1}: not a JSON line (the file was edited or damaged); restore it or delete the lines after the last good one`);
      }
    })
    .filter((e) => e.step <= upTo);
}

export async function runTraining(req: RunRequest, hooks: RunHooks = {}): Promise<RunResult> {
  const statePath = join(req.dir, FILES.state);
  let settings: RunSettings;
  let saved: ReturnType<typeof decodeRunState> | undefined;
  if (req.resume) {
    if (!existsSync(statePath)) throw new WgsrError('BAD_ARGUMENT', `--resume ${req.dir}: no ${FILES.state} there; give the directory of a run wgsr train wrote (its -o)`);
    saved = decodeRunState(readFileSync(statePath), statePath);
    settings = resumeSettings(saved.state.settings as unknown as RunSettings, req.settings, req.dir);
    if (saved.state.step >= settings.iters) throw new WgsrError('BAD_ARGUMENT', `--resume ${req.dir}: the run already took ${saved.state.step} of its ${settings.iters} steps; give a larger --iters to train further`);
    if (req.settings.iters !== undefined && req.settings.iters !== (saved.state.settings as unknown as RunSettings).iters && settings.schedule.startsWith('cosine')) {
      hooks.onNote?.(`--iters changed from ${(saved.state.settings as unknown as RunSettings).iters} to ${settings.iters}: the cosine schedule's rates change from here on`);
    }
  } else {
    settings = req.settings as RunSettings;
    if (existsSync(statePath)) throw new WgsrError('BAD_ARGUMENT', `-o ${req.dir} already holds a run (${FILES.state}); go on with --resume ${req.dir}, or choose a new directory`);
    mkdirSync(req.dir, { recursive: true });
  }
  // A resumed run keeps the cadence it was started with unless this command gives another.
  const kept = saved?.state.cadence ?? DEFAULT_CADENCE;
  const cadence: Cadence = { logEvery: req.logEvery ?? kept.logEvery, valEvery: req.valEvery ?? kept.valEvery, saveEvery: req.saveEvery ?? kept.saveEvery };
  const schedule = parseSchedule(settings.schedule);
  // The network first: a wrong size option is reported before the images are read.
  const start = saved ? { bytes: saved.model, modelOptions: saved.state.modelOptions ?? {}, source: FILES.state } : initialModel(settings, req.sizes);
  const cleanProb = settings.cleanProb ?? 0;
  const spec: TrainingSetSpec = { hr: settings.hr, lr: settings.lr, scale: settings.scale, patch: settings.patch, degrade: settings.degrade, keepCleanLr: cleanProb > 0, onNote: hooks.onNote };
  const set = await openTrainingSet(spec);
  const threads = req.workers > 0 ? `; batches made ahead by ${req.workers} worker thread${req.workers === 1 ? '' : 's'}` : '';
  hooks.onNote?.(`training set: ${set.files.length} image${set.files.length === 1 ? '' : 's'} (${(set.bytes / 2 ** 20).toFixed(1)} MB decoded)${threads}`);
  const valSet: ValidationSet | undefined = settings.val ? await openValidationSet(settings.val, settings.scale, settings.degrade === 'realesrgan', settings.seed) : undefined;

  const { device, adapter } = await createServerDevice();
  hooks.onNote?.(`adapter ${adapter.summary}`);
  let trainer: Trainer | undefined;
  let sampler: (PatchSampler & { close?: () => Promise<void> }) | undefined;
  try {
    trainer = await createTrainer(start.bytes, {
      device,
      loss: settings.loss,
      optimizer: { name: 'adam', lr: settings.lrRate, betas: settings.betas, weightDecay: settings.weightDecay },
      freeze: settings.freeze,
      resume: saved?.optimizer,
      ...(settings.ema ? { ema: settings.ema } : {}),
      modelOptions: start.modelOptions,
      maxMemory: req.maxMemory,
      kernels: req.kernels,
      kernelCache: kernelCacheFile(),
      warn: (message) => hooks.onNote?.(message),
      source: start.source,
    });
    const t = trainer;
    if (saved && t.steps !== saved.state.step) throw new WgsrError('BAD_ARGUMENT', `${statePath}: its optimizer state counts ${t.steps} steps but the run ${saved.state.step}; the file is inconsistent`);
    hooks.onNote?.(`model ${t.info.arch} ×${t.info.scale}, ${t.info.params} parameters (${t.trainable.length} tensors trained${t.frozen.length ? `, ${t.frozen.length} frozen` : ''}); conv kernels ${t.kernels}`);
    if (t.info.scale !== settings.scale) throw new WgsrError('BAD_ARGUMENT', `--scale ${settings.scale} but the model is ×${t.info.scale}; give --scale ${t.info.scale} or another model`);
    const degradation = settings.degradeOptions && degradationFromRealEsrganKeys(settings.degradeOptions, '--degrade-options');
    const samplerOptions = { scale: settings.scale, patch: settings.patch, batchSize: settings.batch, seed: settings.seed, degrade: settings.degrade, cleanProb, ...(degradation ? { degradation } : {}) };
    const resumeSampler = saved?.state.sampler;
    sampler = req.workers > 0 ? createPrefetchingSampler(set, spec, samplerOptions, { workers: req.workers, resume: resumeSampler }) : createPatchSampler(set.source, samplerOptions, resumeSampler);

    const logPath = join(req.dir, FILES.log);
    const log: LogEntry[] = saved ? readLog(logPath, saved.state.step) : [];
    let step = saved?.state.step ?? 0;
    let best = saved?.state.best;
    let seconds = saved?.state.seconds ?? 0;
    let lastVal: ValidationScore | undefined;
    const bicubic = valSet && { psnr: valSet.bicubic.psnr, ssim: valSet.bicubic.ssim, ...(valSet.bicubicDegraded ? { degraded: { psnr: valSet.bicubicDegraded.psnr, ssim: valSet.bicubicDegraded.ssim } } : {}) };
    const record = (e: LogEntry) => {
      log.push(e);
      hooks.onLog?.(e);
    };

    // The model files and validation hold the moving average when the run keeps one (as
    // Real-ESRGAN's released params_ema); state.bin holds the trained weights, to go on from.
    const weights = settings.ema ? 'ema' : 'trained';
    const imageNames = set.files.map((f) => f.name);
    const modelFile = async (format: 'pth' | 'safetensors') =>
      t.save(format, { weights, ...(format === 'safetensors' && { metadata: trainingMetadata(settings, step, imageNames) }) });
    const runValidation = async () => {
      if (!valSet) return;
      const bytes = await modelFile('safetensors');
      const up = await createUpscaler(bytes, { device, modelOptions: start.modelOptions, source: `step ${step}` });
      try {
        lastVal = await validate(up, valSet, settings.scale);
      } finally {
        up.destroy();
      }
      const score = bestScore(lastVal, settings.bestBy ?? 'clean');
      const isBest = step > 0 && (!best || score > best.psnr);
      if (isBest) {
        best = { step, psnr: score };
        await writeFileAtomic(join(req.dir, FILES.bestSafetensors), bytes);
        await writeFileAtomic(join(req.dir, FILES.bestPth), await modelFile('pth'));
      }
      record({ step, val: lastVal, bicubic: bicubic!, best: isBest });
    };

    const writePlot = async () => {
      const losses = log.filter((e): e is Extract<LogEntry, { loss: number }> => 'loss' in e);
      const vals = log.filter((e): e is Extract<LogEntry, { val: ValidationScore }> => 'val' in e);
      const image = drawTrainingPlot({
        loss: losses,
        val: vals.map((v) => ({ step: v.step, psnr: v.val.psnr, degraded: v.val.degraded?.psnr })),
        bicubic: bicubic?.psnr,
        bicubicDegraded: bicubic?.degraded?.psnr,
        totalSteps: settings.iters,
      });
      await writeFileAtomic(join(req.dir, FILES.plot), encodePng(image));
    };

    const checkpoint = async () => {
      const pth = await t.save('pth');
      await writeFileAtomic(join(req.dir, FILES.pth), settings.ema ? await modelFile('pth') : pth);
      await writeFileAtomic(join(req.dir, FILES.safetensors), await modelFile('safetensors'));
      const state: RunState = { step, sampler: sampler!.state(), settings: settings as unknown as Record<string, unknown>, best, seconds, modelOptions: start.modelOptions, cadence };
      await writeFileAtomic(join(req.dir, FILES.log), new TextEncoder().encode(log.map((e) => JSON.stringify(e) + '\n').join('')));
      await writeFileAtomic(statePath, encodeRunState({ state, model: pth, optimizer: await t.saveState() }));
      await writePlot();
    };

    if (!saved) {
      // The untrained network's score is the run's first point: training must beat it.
      await runValidation();
      await checkpoint();
    }
    let smooth = 0;
    let smoothWeight = 0;
    let intervalSum = 0;
    let intervalCount = 0;
    // it/s from the median of the last 50 steps' own times (validation and checkpoints excluded):
    // one step that held a stop of the process (Ctrl-Z, a laptop asleep) must not make the
    // progress line's ETA hours long for the next 50.
    const recent: number[] = [];
    let interrupted = false;
    while (step < settings.iters) {
      if (hooks.signal?.aborted) {
        interrupted = true;
        break;
      }
      const began = performance.now();
      const rate = learningRate(schedule, settings.lrRate, step, settings.iters);
      t.setLearningRate(rate);
      const batch = await sampler.next();
      const loss = await t.step(batch.lr, batch.hr);
      step++;
      seconds += (performance.now() - began) / 1000;
      if (!Number.isFinite(loss)) {
        throw new WgsrError('NUMERIC', `the loss is ${loss} at step ${step}: training diverged. The last checkpoint (${FILES.state}) is before it; lower --lr-rate and resume it, or start again`);
      }
      hooks.onStep?.(step, loss);
      smooth = 0.98 * smooth + 0.02 * loss;
      smoothWeight = 0.98 * smoothWeight + 0.02;
      intervalSum += loss;
      intervalCount++;
      recent.push(performance.now() - began);
      if (recent.length > 50) recent.shift();
      const its = 1000 / Math.max(1e-3, median(recent));
      hooks.onProgress?.({ step, total: settings.iters, smoothLoss: smooth / smoothWeight, lr: rate, its, etaSeconds: (settings.iters - step) / Math.max(its, 1e-9) });
      if (step % cadence.logEvery === 0 || step === settings.iters) {
        record({ step, loss, loss_mean: intervalSum / intervalCount, lr: rate, its: +its.toFixed(3) });
        intervalSum = 0;
        intervalCount = 0;
      }
      if (step % cadence.valEvery === 0 || step === settings.iters) await runValidation();
      if (step % cadence.saveEvery === 0 || step === settings.iters) await checkpoint();
    }
    if (interrupted) await checkpoint();
    return { step, interrupted, lastVal, bicubic, best, bestBy: settings.bestBy ?? 'clean', seconds };
  } finally {
    await sampler?.close?.();
    trainer?.destroy();
    device.destroy();
  }
}
