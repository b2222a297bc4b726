import { basename } from 'node:path';
import { WgsrError } from '../errors.js';
import { defaultDenoisingModelPath, defaultModelPath } from '../runtime/default-model.js';
import { readModelPath } from '../runtime/model-path.js';
import { loadModelByName } from '../runtime/models/by-name.js';
import { findModel } from '../runtime/models/find-model.js';
import { modelCatalog } from '../runtime/models/user-catalog.js';
import type { ModelBytes } from '../weights/types.js';
import type { CommandIO } from './command.js';
import { downloadProgress } from './download-progress.js';

export interface ModelChoice {
  /** -m: a model file (an ncnn .param finds its .bin). */
  file?: string;
  /** -n: a catalogue name. */
  name?: string;
  /** --model-dir: where models by name are kept (default: the cache folder). */
  modelDir?: string;
  /**
   * --denoise-strength: blend in the model's denoise partner (Real-ESRGAN's DNI): -n's catalogue
   * partner, --dni-model's file, or without -m and -n the bundled denoising model.
   */
  denoiseStrength?: number;
  /** --dni-model: the second model of the blend, as a file. */
  dniFile?: string;
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface ResolvedModel {
  bytes: ModelBytes;
  /** How the model is named in messages: a file name, or the catalogue name. */
  label: string;
  /** True for the bundled default model. */
  bundled: boolean;
  dni?: { bytes: ModelBytes; strength: number; source: string };
}

/**
 * The model a command runs: -m's file, -n's catalogue model (from the cache or downloaded, with
 * progress), or the bundled one; and the second model of a --denoise-strength blend, which for
 * -n realesr-general-x4v3 is its catalogue partner realesr-general-wdn-x4v3, and for the bundled
 * model is the bundled denoising model (S·denoising + (1 − S)·default).
 */
export async function resolveModel(choice: ModelChoice, io: CommandIO): Promise<ResolvedModel> {
  checkModelChoice(choice);
  const strength = choice.denoiseStrength;
  let dni: ResolvedModel['dni'];
  const byName = async (name: string) =>
    loadModelByName(name, { cacheDir: choice.modelDir, signal: choice.signal, ...downloadProgress(io, choice.quiet === true) });
  if (choice.dniFile !== undefined) dni = { bytes: readModelPath(choice.dniFile), strength: strength!, source: basename(choice.dniFile) };
  if (choice.name !== undefined) {
    const entry = findModel(choice.name, modelCatalog());
    // Strength 1 is the main model alone, as in Real-ESRGAN's script: nothing more to fetch.
    if (strength !== undefined && strength !== 1 && dni === undefined) {
      if (!entry.denoisePartner) {
        throw new WgsrError('BAD_ARGUMENT', `--denoise-strength needs a model with a weak-denoise variant (realesr-general-x4v3) or --dni-model FILE; ${entry.name} has none`);
      }
      const partner = await byName(entry.denoisePartner);
      dni = { bytes: partner.bytes, strength, source: partner.entry.name };
    }
    const model = await byName(entry.name);
    return { bytes: model.bytes, label: model.entry.name, bundled: false, ...(dni ? { dni } : {}) };
  }
  if (choice.file === undefined && strength !== undefined && dni === undefined) return bundledBlend(strength);
  const file = choice.file ?? defaultModelPath();
  return { bytes: readModelPath(file), label: basename(file), bundled: choice.file === undefined, ...(dni ? { dni } : {}) };
}

/** The refusals that need no file and no network: run before anything else is checked. */
export function checkModelChoice(choice: ModelChoice): void {
  if (choice.file !== undefined && choice.name !== undefined) throw new WgsrError('BAD_ARGUMENT', '-m (a model file) and -n (a model name) exclude each other; give one');
  if (choice.modelDir !== undefined && choice.name === undefined) throw new WgsrError('BAD_ARGUMENT', '--model-dir is where models by name (-n) are kept; give -n NAME too, or -m FILE for a file');
  if (choice.dniFile !== undefined && choice.denoiseStrength === undefined) throw new WgsrError('BAD_ARGUMENT', '--dni-model needs --denoise-strength (the share of the main model, 0..1)');
  if (choice.denoiseStrength !== undefined && choice.file !== undefined && choice.dniFile === undefined) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      '--denoise-strength blends two models: with -m FILE give the second as --dni-model FILE; without -m it blends the bundled model with its denoising partner, and -n realesr-general-x4v3 fetches its wdn variant',
    );
  }
}

/**
 * The bundled pair at strength S, as Real-ESRGAN blends general-x4v3 with its weak-denoise
 * variant: the denoising model is the main one (S = 1 runs it alone), the default the partner
 * (S = 0 gives the default's weights exactly, since 0·a + 1·b = b).
 */
function bundledBlend(strength: number): ResolvedModel {
  const denoising = defaultDenoisingModelPath();
  const model = { bytes: readModelPath(denoising), label: basename(denoising), bundled: true };
  if (strength === 1) return model;
  const partner = defaultModelPath();
  return { ...model, dni: { bytes: readModelPath(partner), strength, source: basename(partner) } };
}

/** The line printed after a run with the bundled model: a real model to try. */
export const BUNDLED_HINT = 'wgsr: tip: the bundled model is small (107k parameters); for sharper results try -n realesrgan-x4plus (photos, 67 MB) or -n realesr-general-x4v3 (5 MB), downloaded once (wgsr models lists all)';
