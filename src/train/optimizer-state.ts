import { WgsrError } from '../errors.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import type { StateDict } from '../weights/types.js';
import type { ParameterLayout } from './parameters.js';

/**
 * The optimizer's state as a file, so a run can stop and go on: a safetensors file with
 * `exp_avg.<key>` and `exp_avg_sq.<key>` (f32, each trainable tensor's shape), `ema.<key>` when
 * the trainer keeps a moving average of the weights, and the step count in its metadata. The
 * weights themselves are saved as a model (save('pth' | 'safetensors')) and
 * given to createTrainer with this as `resume`.
 */
const FORMAT = 'wgsr-optimizer-state';
const VERSION = '1';

export interface OptimizerState {
  readonly step: number;
  readonly optimizer: string;
  /** Flat, in the layout's trainable order. */
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
  /** The trainable weights' moving average, when the run keeps one. */
  readonly ema?: Float32Array;
}

function trainable(layout: ParameterLayout) {
  return [...layout.slots.values()].filter((s) => s.trainable);
}

export function encodeOptimizerState(layout: ParameterLayout, state: OptimizerState): Uint8Array {
  const sd: StateDict = new Map();
  for (const s of trainable(layout)) {
    sd.set(`exp_avg.${s.key}`, { shape: s.shape, data: state.expAvg.slice(s.offset, s.offset + s.count), dtype: 'float32' });
    sd.set(`exp_avg_sq.${s.key}`, { shape: s.shape, data: state.expAvgSq.slice(s.offset, s.offset + s.count), dtype: 'float32' });
    if (state.ema) sd.set(`ema.${s.key}`, { shape: s.shape, data: state.ema.slice(s.offset, s.offset + s.count), dtype: 'float32' });
  }
  return writeSafetensors(sd, { metadata: { format: FORMAT, version: VERSION, step: String(state.step), optimizer: state.optimizer } });
}

export function decodeOptimizerState(bytes: Uint8Array, layout: ParameterLayout, source = 'resume'): OptimizerState {
  let file;
  try {
    file = readSafetensors(bytes, source);
  } catch (e) {
    throw new WgsrError('BAD_ARGUMENT', `${source}: not an optimizer state saved by saveState() (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const bad = (what: string) => new WgsrError('BAD_ARGUMENT', `${source}: ${what}; pass the bytes saveState() returned for this model and these frozen keys`);
  const meta = file.metadata;
  if (meta.format !== FORMAT) throw bad(`its metadata says format "${meta.format ?? '(none)'}", not ${FORMAT}`);
  if (meta.version !== VERSION) throw bad(`version ${meta.version}; this wgsr reads version ${VERSION}`);
  const step = Number(meta.step);
  if (!Number.isSafeInteger(step) || step < 0) throw bad(`step "${meta.step}" is not a count of steps`);
  const expAvg = new Float32Array(layout.trainable);
  const expAvgSq = new Float32Array(layout.trainable);
  // The average is all there or not at all: its first tensor decides which.
  const first = trainable(layout)[0];
  const ema = first && file.stateDict.has(`ema.${first.key}`) ? new Float32Array(layout.trainable) : undefined;
  const expected = new Set<string>();
  for (const s of trainable(layout)) {
    for (const [prefix, into] of [['exp_avg', expAvg], ['exp_avg_sq', expAvgSq], ...(ema ? [['ema', ema] as const] : [])] as const) {
      const key = `${prefix}.${s.key}`;
      expected.add(key);
      const t = file.stateDict.get(key);
      if (!t) throw bad(`it has no "${key}" (is "${s.key}" frozen in the run it comes from?)`);
      if (t.shape.join() !== s.shape.join()) throw bad(`"${key}" has shape [${t.shape.join(', ')}], the model's tensor [${s.shape.join(', ')}]`);
      into.set(t.data, s.offset);
    }
  }
  const extra = [...file.stateDict.keys()].filter((k) => !expected.has(k));
  if (extra.length) throw bad(`it has state for tensors this run does not train (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''})`);
  return { step, optimizer: meta.optimizer ?? 'adam', expAvg, expAvgSq, ...(ema && { ema }) };
}
