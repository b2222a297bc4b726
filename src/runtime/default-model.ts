import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WgsrError } from '../errors.js';
import { readModelFile } from '../io/model-file.js';

/**
 * The models shipped in the package (models/default), both SRVGGNetCompact ×4 trained by this
 * project (see README, "The bundled model"): the default, trained on clean bicubic LR, and its
 * denoising partner, the default fine-tuned on Real-ESRGAN's degradations, which
 * --denoise-strength blends with it. Resolved from this module's own URL, so they are found
 * wherever the package is installed.
 */
const DEFAULT_MODEL = new URL('../../models/default/wgsr-compact-x4.safetensors', import.meta.url);
const DENOISING_MODEL = new URL('../../models/default/wgsr-compact-denoise-x4.safetensors', import.meta.url);

function bundledPath(url: URL, what: string): string {
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new WgsrError('IO', `the bundled ${what} is missing at ${path} (a damaged install: reinstall wgsr)`);
  return path;
}

/** The bundled model's file path. */
export function defaultModelPath(): string {
  return bundledPath(DEFAULT_MODEL, 'model');
}

/** The bundled model's bytes (213 KB of safetensors), ready for createUpscaler. */
export function defaultModel(): Uint8Array {
  return readModelFile(defaultModelPath());
}

/** The bundled denoising model's file path (the default fine-tuned on degraded LR). */
export function defaultDenoisingModelPath(): string {
  return bundledPath(DENOISING_MODEL, 'denoising model');
}

/**
 * The bundled denoising model's bytes. It has the default's shapes and starts from its weights,
 * so the two blend: `createUpscaler(defaultDenoisingModel(), { dni: { bytes: defaultModel(),
 * strength: S } })` runs S·denoising + (1 − S)·default, Real-ESRGAN's denoise strength.
 */
export function defaultDenoisingModel(): Uint8Array {
  return readModelFile(defaultDenoisingModelPath());
}
