import { WgsrError } from '../../errors.js';

export const BEST_BY = ['clean', 'degraded', 'mean'] as const;
export type BestBy = (typeof BEST_BY)[number];

/**
 * The settings of a run that decide its numbers. A resumed run must have the same ones (its
 * loss sequence is then the uninterrupted run's); --iters may be raised to train longer (which
 * changes a cosine schedule's rates from there on: the message says so), and the rest
 * (--val-every, --save-every, --json, workers) only change what is reported or how fast.
 */
export interface RunSettings {
  hr: string;
  lr?: string;
  scale: number;
  /** -m FILE (its path and SHA-256) or --arch with its sizes. */
  model: { file: string; sha256: string } | { arch: string; sizes: Record<string, number> };
  iters: number;
  batch: number;
  patch: number;
  loss: 'l1' | 'mse';
  lrRate: number;
  betas: [number, number];
  weightDecay: number;
  schedule: string;
  degrade: 'none' | 'bicubic' | 'realesrgan';
  /** With realesrgan: the share of samples trained on clean bicubic LR (absent in runs made before it existed: 0). */
  cleanProb?: number;
  /** With realesrgan: Real-ESRGAN's degradation settings that replace its defaults (keys sorted; absent: the defaults). */
  degradeOptions?: Record<string, unknown>;
  /** The decay of the weights' moving average the model files hold (absent in runs made before it existed, or 0: none). */
  ema?: number;
  val?: string;
  /**
   * Which validation score picks best.*: the clean LR's PSNR, the degraded LR's, or their mean
   * (absent in runs made before it existed: clean, which those runs used).
   */
  bestBy?: BestBy;
  freeze: string[];
  seed: number;
  precision: 'f32';
}

/** The flag each setting is given with, for messages. */
export const SETTING_FLAGS: Record<keyof RunSettings, string> = {
  hr: '--hr',
  lr: '--lr',
  scale: '--scale',
  model: '-m / --arch',
  iters: '--iters',
  batch: '--batch',
  patch: '--patch',
  loss: '--loss',
  lrRate: '--lr-rate',
  betas: '--betas',
  weightDecay: '--weight-decay',
  schedule: '--schedule',
  degrade: '--degrade',
  cleanProb: '--clean-prob',
  degradeOptions: '--degrade-options',
  ema: '--ema',
  val: '--val',
  bestBy: '--best-by',
  freeze: '--freeze',
  seed: '--seed',
  precision: '--precision',
};

/** Settings that may differ on resume. */
const MAY_CHANGE: readonly (keyof RunSettings)[] = ['iters', 'val'];

const show = (v: unknown) => (v === undefined ? '(not given)' : JSON.stringify(v));

/**
 * The saved run's settings with the ones given on this command line checked against them:
 * every difference is listed in one error. Returns the settings to go on with.
 */
export function resumeSettings(saved: RunSettings, given: Partial<RunSettings>, dir: string): RunSettings {
  const diffs: string[] = [];
  // A run saved before --clean-prob, --ema or --best-by existed took no clean samples, kept no
  // average and picked best.* by the clean score.
  const kept: RunSettings = { ...saved, cleanProb: saved.cleanProb ?? 0, ema: saved.ema ?? 0, bestBy: saved.bestBy ?? 'clean' };
  for (const key of Object.keys(given) as (keyof RunSettings)[]) {
    if (given[key] === undefined || MAY_CHANGE.includes(key)) continue;
    if (JSON.stringify(given[key]) !== JSON.stringify(kept[key])) diffs.push(`${SETTING_FLAGS[key]}: the run has ${show(kept[key])}, this command ${show(given[key])}`);
  }
  if (diffs.length) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `--resume ${dir}: this command's options differ from the run's, so it could not go on exactly:\n  ${diffs.join('\n  ')}\nLeave those options out (the run's own are used) or start a new run in another directory.`,
    );
  }
  return { ...saved, bestBy: kept.bestBy, iters: given.iters ?? saved.iters, val: given.val ?? saved.val };
}
