import { WgsrError } from '../errors.js';
import { isFloatDType } from './dtypes.js';
import { modelError } from './model-error.js';
import type { PickleValue } from './pickle.js';
import type { DType, StateDict, WeightTensor } from './types.js';

/**
 * Keys a checkpoint may keep its weights under, in order of preference. BasicSR / Real-ESRGAN
 * store `params_ema` (the exponential moving average, the better weights) next to `params`.
 */
export const WRAPPER_KEYS = ['params_ema', 'params', 'state_dict', 'model', 'net'] as const;
/** How deep wrappers may nest ({'state_dict': {'model': …}}); deeper is not a weights file. */
const MAX_WRAPPER_DEPTH = 4;

export interface FoundStateDict<T> {
  readonly entries: Map<string, T>;
  /** The wrapper keys the entries were found under, joined with '.'; undefined for a bare dict. */
  readonly wrapperKey?: string;
}

/**
 * Finds the weights in a checkpoint's object tree: a preferred wrapper key, else the dict itself
 * when it holds tensors, else its one nested dict that does. Non-tensor entries (an `epoch`
 * counter, say) are skipped. A common `module.` prefix (nn.DataParallel) is removed.
 */
export function findStateDict<T>(root: PickleValue, isTensor: (v: PickleValue) => boolean, source: string): FoundStateDict<T> {
  const found = search(root, [], isTensor, source, new Set());
  if (!found) {
    const keys = root instanceof Map ? [...root.keys()].slice(0, 8).map(String).join(', ') : '';
    throw modelError(
      'BAD_MODEL',
      source,
      `no weights found: the checkpoint holds no dict of tensors${keys ? ` (top-level keys: ${keys})` : ''}. ` +
        `wgsr looks for a state dict, bare or under ${WRAPPER_KEYS.join(' / ')}.`,
    );
  }
  const entries = stripModulePrefix(found.entries as Map<string, T>);
  return found.path.length ? { entries, wrapperKey: found.path.join('.') } : { entries };
}

function search(
  value: PickleValue,
  path: string[],
  isTensor: (v: PickleValue) => boolean,
  source: string,
  visited: Set<PickleValue>,
): { entries: Map<string, PickleValue>; path: string[] } | undefined {
  // Each dict is looked at once: a pickle can share one dict many times, or nest it in itself.
  if (!(value instanceof Map) || path.length > MAX_WRAPPER_DEPTH || visited.has(value)) return undefined;
  visited.add(value);
  for (const key of WRAPPER_KEYS) {
    const found = search(value.get(key) ?? null, [...path, key], isTensor, source, visited);
    if (found) return found;
  }
  const tensors = new Map<string, PickleValue>();
  for (const [k, v] of value) if (typeof k === 'string' && isTensor(v)) tensors.set(k, v);
  if (tensors.size) return { entries: tensors, path };
  const nested = [...value]
    .filter(([k, v]) => typeof k === 'string' && v instanceof Map)
    .map(([k, v]) => search(v, [...path, k as string], isTensor, source, visited))
    .filter((f) => f !== undefined);
  if (nested.length > 1) {
    throw modelError(
      'UNSUPPORTED_MODEL',
      source,
      `the checkpoint holds several state dicts (${nested.map((f) => f.path.join('.')).join(', ')}) and none under ` +
        `${WRAPPER_KEYS.join(' / ')}; save the one network you want with torch.save(net.state_dict(), path).`,
    );
  }
  return nested[0];
}

/** Removes `module.` when every key has it (a model saved while wrapped in DataParallel). */
export function stripModulePrefix<T>(entries: Map<string, T>): Map<string, T> {
  const prefix = 'module.';
  if (entries.size === 0 || ![...entries.keys()].every((k) => k.startsWith(prefix))) return entries;
  return new Map([...entries].map(([k, v]) => [k.slice(prefix.length), v]));
}

/** Parameter count: every element of every floating-point tensor (integer buffers excluded). */
export function countParameters(sd: StateDict): number {
  let total = 0;
  for (const t of sd.values()) if (isFloatDType(t.dtype)) total += t.data.length;
  return total;
}

/**
 * The dtype the weights were stored in: one name, or several joined with '+' (most elements
 * first) when a file mixes them. Integer buffers (BatchNorm's num_batches_tracked) don't count.
 */
export function storedDtype(sd: StateDict): string {
  const counts = new Map<DType, number>();
  for (const t of sd.values()) if (isFloatDType(t.dtype)) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + t.data.length);
  if (counts.size === 0) return 'none';
  return [...counts].sort((a, b) => b[1] - a[1]).map(([d]) => d).join('+');
}

/**
 * s·a + (1−s)·b for every tensor: how Real-ESRGAN blends realesr-general-x4v3 with its
 * "wdn" (denoise) variant to set the denoise strength. Integer tensors are taken from `a`.
 */
export function interpolateStateDicts(a: StateDict, b: StateDict, s: number): StateDict {
  if (!Number.isFinite(s) || s < 0 || s > 1) throw new WgsrError('BAD_ARGUMENT', `interpolation weight must be in [0, 1], got ${s}`);
  const onlyA = [...a.keys()].filter((k) => !b.has(k));
  const onlyB = [...b.keys()].filter((k) => !a.has(k));
  if (onlyA.length || onlyB.length) {
    const list = (keys: string[]) => keys.slice(0, 5).join(', ') + (keys.length > 5 ? `, … (${keys.length})` : '');
    throw new WgsrError(
      'BAD_MODEL',
      'cannot interpolate two models with different keys: ' +
        [onlyA.length && `only in the first: ${list(onlyA)}`, onlyB.length && `only in the second: ${list(onlyB)}`].filter(Boolean).join('; ') +
        '. Both must be the same architecture with the same sizes.',
    );
  }
  const out: StateDict = new Map();
  for (const [key, ta] of a) {
    const tb = b.get(key)!;
    if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
      throw new WgsrError('BAD_MODEL', `cannot interpolate: "${key}" has shape [${ta.shape}] in the first model and [${tb.shape}] in the second.`);
    }
    out.set(key, isFloatDType(ta.dtype) ? blend(ta, tb, s) : ta);
  }
  return out;
}

function blend(a: WeightTensor, b: WeightTensor, s: number): WeightTensor {
  const data = new Float32Array(a.data.length);
  const t = 1 - s;
  for (let i = 0; i < data.length; i++) data[i] = s * a.data[i]! + t * b.data[i]!;
  return { shape: a.shape, data, dtype: a.dtype };
}
