import { basename } from 'node:path';
import { WgsrError } from '../errors.js';
import { readModelPath } from '../runtime/model-path.js';
import { loadModelByName } from '../runtime/models/by-name.js';
import { findModel } from '../runtime/models/find-model.js';
import { modelCatalog } from '../runtime/models/user-catalog.js';
import type { ModelBytes } from '../weights/types.js';
import type { CommandIO } from './command.js';
import { defaultModelPath } from './default-model.js';
import { downloadProgress } from './download-progress.js';

export interface ModelChoice {
  /** -m: a model file (an ncnn .param finds its .bin). */
  file?: string;
  /** -n: a catalogue name. */
  name?: string;
  /** --model-dir: where models by name are kept (default: the cache folder). */
  modelDir?: string;
  /** --denoise-strength with -n: blend in the model's denoise partner (Real-ESRGAN's DNI). */
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
 * -n realesr-general-x4v3 is its catalogue partner realesr-general-wdn-x4v3.
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
  const file = choice.file ?? defaultModelPath();
  return { bytes: readModelPath(file), label: basename(file), bundled: choice.file === undefined, ...(dni ? { dni } : {}) };
}

/** The refusals that need no file and no network: run before anything else is checked. */
export function checkModelChoice(choice: ModelChoice): void {
  if (choice.file !== undefined && choice.name !== undefined) throw new WgsrError('BAD_ARGUMENT', '-m (a model file) and -n (a model name) exclude each other; give one');
  if (choice.modelDir !== undefined && choice.name === undefined) throw new WgsrError('BAD_ARGUMENT', '--model-dir is where models by name (-n) are kept; give -n NAME too, or -m FILE for a file');
  if (choice.dniFile !== undefined && choice.denoiseStrength === undefined) throw new WgsrError('BAD_ARGUMENT', '--dni-model needs --denoise-strength (the share of the main model, 0..1)');
  if (choice.denoiseStrength !== undefined && choice.dniFile === undefined && choice.name === undefined) {
    throw new WgsrError('BAD_ARGUMENT', '--denoise-strength blends two models: give -n realesr-general-x4v3 (its wdn variant is fetched too), or -m FILE with --dni-model FILE');
  }
}

/** The line printed after a run with the bundled model: a real model to try. */
export const BUNDLED_HINT = 'wgsr: tip: the bundled model is small (107k parameters); for sharper results try -n realesrgan-x4plus (photos, 67 MB) or -n realesr-general-x4v3 (5 MB), downloaded once (wgsr models lists all)';
