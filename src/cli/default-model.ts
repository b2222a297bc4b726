import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WgsrError } from '../errors.js';

/** The model shipped in the package (models/default), used when no -m is given. */
const DEFAULT_MODEL = new URL('../../models/default/wgsr-compact-x4.safetensors', import.meta.url);

export function defaultModelPath(): string {
  const path = fileURLToPath(DEFAULT_MODEL);
  if (!existsSync(path)) throw new WgsrError('IO', `no model given (-m) and the bundled model is missing at ${path}`);
  return path;
}
