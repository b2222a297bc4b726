import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import { interpolateStateDicts, storedDtype } from '../../src/weights/state-dict.js';
import type { StateDict } from '../../src/weights/types.js';
import { contiguous, f32Bytes, PickleWriter, torchZip, writeTensor, type TensorSpec } from './torch-writer.js';
import { error } from '../helpers/errors.js';

/** A nested checkpoint: dicts of tensors, numbers and further dicts. */
type Tree = { [key: string]: Tree | TensorSpec | number };

function isTensor(v: Tree | TensorSpec | number): v is TensorSpec {
  return typeof v === 'object' && 'storage' in v;
}

/** Pickles `tree` and zips it with one storage per tensor (each holding its index + 1). */
function checkpoint(tree: Tree): Uint8Array {
  const w = new PickleWriter().proto(2);
  const storages: Record<string, Uint8Array> = {};
  const write = (node: Tree) => {
    w.emptyDict().mark();
    for (const [key, value] of Object.entries(node)) {
      w.str(key);
      if (typeof value === 'number') w.int(value);
      else if (isTensor(value)) {
        storages[value.storage.key] = f32Bytes(Array.from({ length: value.storage.numel }, (_, i) => i + 1));
        writeTensor(w, value, false);
      } else write(value);
    }
    w.setitems();
  };
  write(tree);
  return torchZip(w.stop().bytes(), storages);
}

let unique = 0;
const t = (key = 'w', shape = [2]): TensorSpec => contiguous(key, shape, 'FloatStorage', `s${unique++}`);

describe('finding the state dict in a checkpoint', () => {
  it('prefers params_ema over params (BasicSR keeps the EMA weights there)', () => {
    const loaded = loadWeights(checkpoint({ params: { a: t('a') }, params_ema: { b: t('b') } }), 'basicsr.pth');
    expect(loaded.wrapperKey).toBe('params_ema');
    expect([...loaded.stateDict.keys()]).toEqual(['b']);
  });

  it.each(['state_dict', 'model', 'net'])('unwraps "%s" next to training state', (wrapper) => {
    const loaded = loadWeights(checkpoint({ epoch: 300, optimizer: { step: 5 }, [wrapper]: { 'conv.weight': t() } }), 'ckpt.pth');
    expect(loaded.wrapperKey).toBe(wrapper);
    expect([...loaded.stateDict.keys()]).toEqual(['conv.weight']);
  });

  it('takes a single nested dict of tensors under any name, and nested wrappers', () => {
    expect(loadWeights(checkpoint({ iteration: 1, generator: { 'conv.weight': t() } }), 'g.pth').wrapperKey).toBe('generator');
    expect(loadWeights(checkpoint({ state_dict: { params_ema: { x: t() } } }), 'n.pth').wrapperKey).toBe('state_dict.params_ema');
  });

  it('keeps only the tensors of a bare state dict that also holds numbers', () => {
    const loaded = loadWeights(checkpoint({ a: t('a'), version: 2, b: t('b') }), 'bare.pth');
    expect(loaded.wrapperKey).toBeUndefined();
    expect([...loaded.stateDict.keys()]).toEqual(['a', 'b']);
  });

  it('strips a module. prefix only when every key has it', () => {
    expect([...loadWeights(checkpoint({ 'module.a': t(), 'module.b.c': t() }), 'dp.pth').stateDict.keys()]).toEqual(['a', 'b.c']);
    expect([...loadWeights(checkpoint({ 'module.a': t(), b: t() }), 'mixed.pth').stateDict.keys()]).toEqual(['module.a', 'b']);
  });

  it('refuses a checkpoint with several candidate state dicts and none preferred', () => {
    const e = error(() => loadWeights(checkpoint({ net_g: { a: t() }, net_d: { b: t() } }), 'gan.pth'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toContain('several state dicts (net_g, net_d)');
  });
});

describe('stored dtype summary', () => {
  it('names the float dtype, ignores integer buffers, and lists mixtures by size', () => {
    const sd = (entries: [string, number, 'float32' | 'float16' | 'int64'][]): StateDict =>
      new Map(entries.map(([k, n, dtype]) => [k, { shape: [n], data: new Float32Array(n), dtype }]));
    expect(storedDtype(sd([['a', 4, 'float16'], ['n', 1, 'int64']]))).toBe('float16');
    expect(storedDtype(sd([['a', 2, 'float32'], ['b', 8, 'float16']]))).toBe('float16+float32');
  });
});

describe('interpolateStateDicts', () => {
  const sd = (values: number[], extra: Record<string, number[]> = {}): StateDict => {
    const out: StateDict = new Map();
    out.set('w', { shape: [values.length], data: Float32Array.from(values), dtype: 'float32' });
    out.set('n', { shape: [], data: Float32Array.of(7), dtype: 'int64' });
    for (const [k, v] of Object.entries(extra)) out.set(k, { shape: [v.length], data: Float32Array.from(v), dtype: 'float32' });
    return out;
  };

  it('computes s·a + (1−s)·b per element; integer tensors come from a', () => {
    const out = interpolateStateDicts(sd([1, 2, -4]), sd([3, 6, 4]), 0.25);
    // 0.25·a + 0.75·b: exact in float32 for these values (tolerance 0).
    expect([...out.get('w')!.data]).toEqual([2.5, 5, 2]);
    expect([...out.get('n')!.data]).toEqual([7]);
    expect([...interpolateStateDicts(sd([1]), sd([3]), 1).get('w')!.data]).toEqual([1]);
  });

  it('refuses different keys, different shapes, and weights outside [0, 1]', () => {
    expect(error(() => interpolateStateDicts(sd([1], { extra: [1] }), sd([1]), 0.5)).message).toContain('only in the first: extra');
    expect(error(() => interpolateStateDicts(sd([1, 2]), sd([1]), 0.5)).message).toContain('"w" has shape [2] in the first model and [1] in the second');
    expect(error(() => interpolateStateDicts(sd([1]), sd([1]), 1.5)).code).toBe('BAD_ARGUMENT');
    expect(error(() => interpolateStateDicts(sd([1]), sd([1]), NaN)).code).toBe('BAD_ARGUMENT');
  });
});
