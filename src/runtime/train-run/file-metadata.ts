import { basename } from 'node:path';
import { WGSR_VERSION } from '../../version.js';
import type { RunSettings } from './settings.js';

/**
 * What a run's safetensors files say of how they were made (their `__metadata__`): the settings
 * that decide the weights, the step, the training images by name and wgsr's version; no folder
 * paths (they say nothing on another machine) and no times (the same run must give the same
 * bytes). `wgsr convert` keeps it, so a shipped f16 file still carries its recipe.
 */
export function trainingMetadata(settings: RunSettings, step: number, imageNames: readonly string[]): Record<string, string> {
  const model = 'file' in settings.model ? { file: basename(settings.model.file), sha256: settings.model.sha256 } : settings.model;
  const recipe = {
    model,
    scale: settings.scale,
    step,
    iters: settings.iters,
    batch: settings.batch,
    patch: settings.patch,
    loss: settings.loss,
    lr_rate: settings.lrRate,
    betas: settings.betas,
    weight_decay: settings.weightDecay,
    schedule: settings.schedule,
    degrade: settings.degrade,
    clean_prob: settings.cleanProb ?? 0,
    // Only when given, so a run on the defaults writes the same recipe as before the option existed.
    ...(settings.degradeOptions ? { degrade_options: settings.degradeOptions } : {}),
    ema: settings.ema ?? 0,
    freeze: settings.freeze,
    seed: settings.seed,
    train_images: imageNames,
    paired_lr: settings.lr !== undefined,
  };
  return { format: 'pt', trained_by: `wgsr ${WGSR_VERSION} (wgsr train)`, training_recipe: JSON.stringify(recipe) };
}
