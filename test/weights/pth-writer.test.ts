import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import { writeTorchZip } from '../../src/weights/pth-writer.js';
import type { StateDict, WeightTensor } from '../../src/weights/types.js';
import { readStoredZip } from '../../src/weights/zip.js';
import { error } from '../helpers/errors.js';
import { randomArray, rng } from '../helpers/synthetic.js';

/** Values every dtype holds exactly: halves and bfloat16s of small integers and quarters. */
function tensor(shape: number[], dtype: WeightTensor['dtype'], seed: number): WeightTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const random = rng(seed);
  const data = Float32Array.from({ length: n }, () => Math.round((random() * 2 - 1) * 64) / 4);
  return { shape, data, dtype };
}

const SD: StateDict = new Map([
  ['conv.weight', tensor([4, 3, 3, 3], 'float32', 1)],
  ['conv.bias', tensor([4], 'float32', 2)],
  ['half.weight', tensor([2, 5], 'float16', 3)],
  ['bf.weight', tensor([3], 'bfloat16', 4)],
  ['bn.num_batches_tracked', { shape: [], data: Float32Array.of(12345), dtype: 'int64' }],
  ['idx', { shape: [2, 2], data: Float32Array.of(-3, 0, 7, 1 << 20), dtype: 'int32' }],
]);

describe('writeTorchZip', () => {
  it('round-trips through our .pth loader: keys, order, shapes, dtypes and values', () => {
    for (const wrapperKey of [undefined, 'params_ema']) {
      const loaded = loadWeights(writeTorchZip(SD, { wrapperKey }), 'written.pth');
      expect(loaded.format).toBe('pth-zip');
      expect(loaded.wrapperKey).toBe(wrapperKey);
      expect([...loaded.stateDict]).toEqual([...SD]);
    }
  });

  it('half stores every float tensor as float16 and leaves integer tensors alone', () => {
    const random = rng(5);
    const values = randomArray(1000, random, 3);
    const loaded = loadWeights(writeTorchZip(new Map([...SD, ['w', { shape: [1000], data: values, dtype: 'float32' }]]), { half: true })).stateDict;
    expect([...loaded].map(([k, t]) => [k, t.dtype])).toEqual([
      ['conv.weight', 'float16'], ['conv.bias', 'float16'], ['half.weight', 'float16'], ['bf.weight', 'float16'],
      ['bn.num_batches_tracked', 'int64'], ['idx', 'int32'], ['w', 'float16'],
    ]);
    // float16 keeps 11 significant bits: relative error at most 2^-11.
    const w = loaded.get('w')!.data;
    for (let i = 0; i < values.length; i++) expect(Math.abs(w[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 2 ** -25);
    expect([...loaded.get('conv.weight')!.data]).toEqual([...SD.get('conv.weight')!.data]); // quarters are exact halves
  });

  it('writes what torch.save writes: data.pkl first, byteorder, one storage per tensor, version; data 64-byte aligned', () => {
    const bytes = writeTorchZip(SD);
    const entries = readStoredZip(bytes, 'w.pth');
    expect([...entries.keys()]).toEqual(['archive/data.pkl', 'archive/byteorder', ...[0, 1, 2, 3, 4, 5].map((i) => `archive/data/${i}`), 'archive/version']);
    for (const e of entries.values()) expect(e.data.byteOffset % 64).toBe(0);
    expect(new TextDecoder().decode(entries.get('archive/byteorder')!.data)).toBe('little');
    expect(new TextDecoder().decode(entries.get('archive/version')!.data)).toBe('3\n');
    expect(entries.get('archive/data/4')!.data).toEqual(new Uint8Array(new BigInt64Array([12345n]).buffer));
  });

  it('a state dict of more than 1000 tensors (pickled in batches of 1000) round-trips', () => {
    const many: StateDict = new Map(Array.from({ length: 2500 }, (_, i) => [`t${i}`, { shape: [1], data: Float32Array.of(i), dtype: 'float32' as const }]));
    const back = loadWeights(writeTorchZip(many)).stateDict;
    expect(back.size).toBe(2500);
    expect(back.get('t2499')!.data[0]).toBe(2499);
  });

  it('refuses a tensor whose shape does not match its values, and an empty wrapper key', () => {
    const bad: StateDict = new Map([['x', { shape: [2, 2], data: new Float32Array(3), dtype: 'float32' }]]);
    expect(error(() => writeTorchZip(bad)).message).toBe('writeTorchZip: tensor "x" has shape [2, 2] but 3 values');
    expect(error(() => writeTorchZip(SD, { wrapperKey: '' })).code).toBe('BAD_ARGUMENT');
  });
});

/** The first Python that imports torch: WGSR_TORCH_PYTHON, python3 on the PATH, or Debian's. */
function pythonWithTorch(): string | undefined {
  const candidates = [process.env.WGSR_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0);
}

const PYTHON = pythonWithTorch();
if (!PYTHON) console.log('pth-writer: PyTorch is not installed (apt-get install python3-torch); skipping the torch.load check');
const work = mkdtempSync(join(tmpdir(), 'wgsr-pth-writer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!PYTHON)('writeTorchZip output in PyTorch', () => {
  it('torch.load reads the keys, shapes, dtypes and values, and load_state_dict takes it', () => {
    const file = join(work, 'written.pth');
    writeFileSync(file, writeTorchZip(SD, { wrapperKey: 'params_ema' }));
    const script = [
      'import json, sys, torch',
      'ckpt = torch.load(sys.argv[1], map_location="cpu")',
      'sd = ckpt["params_ema"]',
      'out = {k: {"shape": list(t.shape), "dtype": str(t.dtype), "values": t.flatten().tolist()} for k, t in sd.items()}',
      'conv = torch.nn.Conv2d(3, 4, 3)',
      'conv.load_state_dict({"weight": sd["conv.weight"], "bias": sd["conv.bias"]})',
      'print(json.dumps({"type": type(sd).__name__, "keys": list(sd.keys()), "tensors": out}))',
    ].join('\n');
    const run = spawnSync(PYTHON!, ['-c', script, file], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as { type: string; keys: string[]; tensors: Record<string, { shape: number[]; dtype: string; values: number[] }> };
    expect(got.type).toBe('OrderedDict');
    expect(got.keys).toEqual([...SD.keys()]);
    const torchDtype = { float32: 'torch.float32', float16: 'torch.float16', bfloat16: 'torch.bfloat16', int64: 'torch.int64', int32: 'torch.int32' } as Record<string, string>;
    for (const [key, t] of SD) {
      expect(got.tensors[key]!.shape, key).toEqual(t.shape);
      expect(got.tensors[key]!.dtype, key).toBe(torchDtype[t.dtype]);
      expect(got.tensors[key]!.values, key).toEqual([...t.data]);
    }
  });
});
