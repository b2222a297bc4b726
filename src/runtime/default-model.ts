import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WgsrError } from '../errors.js';
import { readModelFile } from '../io/model-file.js';

/**
 * The model shipped in the package (models/default): an SRVGGNetCompact ×4 trained by this
 * project (see README, "The bundled model"). Resolved from this module's own URL, so it works
 * wherever the package is installed.
 */
const DEFAULT_MODEL = new URL('../../models/default/wgsr-compact-x4.safetensors', import.meta.url);

/** The bundled model's file path. */
export function defaultModelPath(): string {
  const path = fileURLToPath(DEFAULT_MODEL);
  if (!existsSync(path)) throw new WgsrError('IO', `the bundled model is missing at ${path} (a damaged install: reinstall wgsr)`);
  return path;
}

/** The bundled model's bytes (213 KB of safetensors), ready for createUpscaler. */
export function defaultModel(): Uint8Array {
  return readModelFile(defaultModelPath());
}
