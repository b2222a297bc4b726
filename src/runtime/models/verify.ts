import { createHash } from 'node:crypto';
import { isWgsrError, WgsrError } from '../../errors.js';
import { detectArchitecture } from '../../models/registry.js';
import { loadWeights } from '../../weights/load.js';
import type { CatalogEntry } from './catalog.js';

/**
 * Checks that `bytes` are the model `entry` describes, cheapest test first: the exact size (when
 * known), then the architecture, scale and parameter count our own detection reads from the
 * weights, then the SHA-256 (when the authors published one). `from` says where the bytes came
 * from (a URL, a file) for the message; nothing is ever accepted that failed a test.
 */
export function verifyModel(bytes: Uint8Array, entry: CatalogEntry, from: string): void {
  const refuse = (why: string) => new WgsrError('BAD_MODEL', `${from} is not ${entry.name}: ${why}; nothing was kept`);
  if (entry.bytes !== undefined && bytes.length !== entry.bytes) {
    throw refuse(`it has ${bytes.length.toLocaleString('en-US')} bytes, the catalogue says ${entry.bytes.toLocaleString('en-US')} (a truncated or different file)`);
  }
  let found: { arch: string; scale: number; params: number };
  try {
    found = detectArchitecture(loadWeights(bytes, from).stateDict, from);
  } catch (e) {
    if (!isWgsrError(e)) throw e;
    throw refuse(`it cannot be read as a model (${e.message.replace(`${from}: `, '')})`);
  }
  const expected = `${entry.arch} ×${entry.scale} with ${entry.parameters.toLocaleString('en-US')} parameters`;
  if (found.arch !== entry.arch || found.scale !== entry.scale || found.params !== entry.parameters) {
    throw refuse(`expected ${expected}, found ${found.arch} ×${found.scale} with ${found.params.toLocaleString('en-US')} parameters`);
  }
  if (entry.sha256 !== undefined) {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== entry.sha256.toLowerCase()) throw refuse(`its SHA-256 is ${digest}, the catalogue says ${entry.sha256}`);
  }
}
