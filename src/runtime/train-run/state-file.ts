import { WgsrError } from '../../errors.js';
import type { ModelOptions } from '../../models/architecture.js';

/**
 * state.bin: everything a run needs to go on exactly, in one file written atomically after the
 * model files, so it never disagrees with itself:
 *   "WGSRRUN\0" · u32 version · u32 JSON length · u32 model length · u32 optimizer length ·
 *   JSON (step, data sampler state, the run's settings, best validation, log position) ·
 *   the model (.pth bytes, f32, the input's wrapper key) · the optimizer state (saveState()).
 * The data sampler's state is { seed, next batch }: every batch is a pure function of those
 * (train/data/sampler.ts), so no generator state is needed beyond them.
 */
const MAGIC = 'WGSRRUN\0';
export const STATE_VERSION = 1;
const HEADER = 8 + 4 * 4;

export interface RunState {
  step: number;
  sampler: { seed: number; batch: number };
  /** The settings that must be the same to resume (see settings.ts). */
  settings: Record<string, unknown>;
  best?: { step: number; psnr: number };
  /** Seconds spent training so far (for it/s over the whole run). */
  seconds: number;
  /** Options the weights do not carry (EDSR's res_scale). */
  modelOptions?: ModelOptions;
  /** Steps between log lines, validations and checkpoints (absent in runs saved before it was kept). */
  cadence?: Cadence;
}

export interface Cadence {
  logEvery: number;
  valEvery: number;
  saveEvery: number;
}

export interface RunCheckpoint {
  state: RunState;
  model: Uint8Array;
  optimizer: Uint8Array;
}

export function encodeRunState(c: RunCheckpoint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(c.state));
  const out = new Uint8Array(HEADER + json.length + c.model.length + c.optimizer.length);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  [STATE_VERSION, json.length, c.model.length, c.optimizer.length].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  out.set(json, HEADER);
  out.set(c.model, HEADER + json.length);
  out.set(c.optimizer, HEADER + json.length + c.model.length);
  return out;
}

export function decodeRunState(bytes: Uint8Array, source: string): RunCheckpoint {
  const bad = (why: string) => new WgsrError('BAD_ARGUMENT', `${source}: ${why}; it is not a state.bin written by wgsr train (start a new run, or resume the run directory it came from)`);
  if (bytes.length < HEADER || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) throw bad('it does not start with wgsr\'s run-state header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== STATE_VERSION) {
    throw new WgsrError('BAD_ARGUMENT', `${source}: run state version ${version}; this wgsr reads version ${STATE_VERSION} (resume with the wgsr that wrote it)`);
  }
  const [jsonLength, modelLength, optimizerLength] = [12, 16, 20].map((o) => view.getUint32(o, true)) as [number, number, number];
  const total = HEADER + jsonLength + modelLength + optimizerLength;
  if (total !== bytes.length) throw bad(`its header says ${total} bytes but the file has ${bytes.length} (truncated or corrupted)`);
  let state: RunState;
  try {
    state = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + jsonLength)));
  } catch (e) {
    throw bad(`its JSON part does not parse (${e instanceof Error ? e.message : String(e)})`);
  }
  const whole = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!state || typeof state !== 'object' || !whole(state.step) || !state.sampler || !whole(state.sampler.seed) || !whole(state.sampler.batch) || typeof state.settings !== 'object' || state.settings === null) {
    throw bad('its JSON part lacks the step, the sampler state or the settings');
  }
  const start = HEADER + jsonLength;
  return { state, model: bytes.slice(start, start + modelLength), optimizer: bytes.slice(start + modelLength, total) };
}
