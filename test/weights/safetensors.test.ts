import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import { rng } from '../helpers/synthetic.js';
import { contiguous, stateDictPickle, torchZip } from './torch-writer.js';
import { error } from '../helpers/errors.js';

const modelsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
const cases = readdirSync(modelsDir);

/** Round to the nearest float16 value, ties to even, from the definition (not from bit tricks). */
function roundToHalf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // 65504 is the largest half; 65520 lies halfway to the next (odd) step, so it rounds up to inf.
  if (a >= 65520) return negative ? -Infinity : Infinity;
  let e = -14; // below 2^-14 the spacing stays 2^-24 (subnormals)
  while (e < 15 && 2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.floor(q);
  const frac = q - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const v = r * ulp;
  return negative ? -v : v;
}

function expectIdentical(a: StateDict, b: StateDict) {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    expect(u.dtype, k).toBe(t.dtype);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), k).toBe(true);
  }
}

describe('safetensors round trip', () => {
  it.each(cases)('%s: .pth → safetensors → load gives identical tensors', (name) => {
    const original = loadWeights(readFileSync(path.join(modelsDir, name, 'model.pth')), name).stateDict;
    const bytes = writeSafetensors(original, { metadata: { format: 'pt' } });
    const loaded = loadWeights(bytes, `${name}.safetensors`);
    expect(loaded.format).toBe('safetensors');
    expectIdentical(original, loaded.stateDict);
    expect(readSafetensors(bytes).metadata).toEqual({ format: 'pt' });
  });

  it('lays every tensor out aligned to its element size, header padded to 8 bytes', () => {
    const sd = loadWeights(readFileSync(path.join(modelsDir, 'srgan_x4_tiny/model.pth')), 'srgan').stateDict;
    const bytes = writeSafetensors(sd, { half: true });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual([...sd.keys()]); // state-dict order kept in the header
    for (const entry of Object.values(header)) {
      const size = { F16: 2, I64: 8 }[entry.dtype as 'F16' | 'I64'];
      expect((8 + n + entry.data_offsets[0]) % size).toBe(0);
    }
    expect(header['blocks.0.bn1.num_batches_tracked']!.dtype).toBe('I64');
  });

  it('--half stores the float16 rounding of every value (ties to even, subnormals, overflow)', () => {
    const random = rng(31);
    const specials = [0, -0, 1, -1, 65504, 65519.996, 65520, -70000, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 1e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -14 - 2 ** -25, NaN, Infinity, -Infinity];
    const randoms = Array.from({ length: 20000 }, () => (random() < 0.5 ? -1 : 1) * 10 ** (random() * 14 - 9));
    const values = Float32Array.from([...specials, ...randoms]);
    const sd: StateDict = new Map([['w', { shape: [values.length], data: values, dtype: 'float32' }]]);
    const reread = readSafetensors(writeSafetensors(sd, { half: true })).stateDict.get('w')!;
    expect(reread.dtype).toBe('float16');
    let mismatches = 0;
    reread.data.forEach((v, i) => {
      if (!Object.is(v, roundToHalf(values[i]!))) mismatches++;
    });
    expect(mismatches).toBe(0); // exact: tolerance 0, the rounding is defined bit for bit
  });

  it('keeps float16 and bfloat16 tensors in their own dtype without --half', () => {
    const file = torchZip(stateDictPickle([contiguous('h', [3], 'HalfStorage'), contiguous('b', [2], 'BFloat16Storage')]), {
      h: new Uint8Array(Uint16Array.of(0x3c00, 0x3555, 0x0001).buffer),
      b: new Uint8Array(Uint16Array.of(0x3eaa, 0xc0a0).buffer),
    });
    const original = loadWeights(file, 'mixed.pth').stateDict;
    const bytes = writeSafetensors(original);
    expect(new TextDecoder().decode(bytes)).toContain('"dtype":"BF16"');
    expectIdentical(original, loadWeights(bytes, 'mixed.safetensors').stateDict);
  });

  it('strips a common module. prefix', () => {
    const sd: StateDict = new Map([['module.conv.weight', { shape: [1], data: Float32Array.of(2), dtype: 'float32' }]]);
    expect([...loadWeights(writeSafetensors(sd), 'dp.safetensors').stateDict.keys()]).toEqual(['conv.weight']);
  });
});

describe('safetensors: bad headers are refused before any byte is read', () => {
  function file(header: unknown, data = new Uint8Array(16), lengthOverride?: bigint): Uint8Array {
    const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  }
  const t = (offsets: unknown, shape: unknown = [4], dtype = 'F32') => ({ w: { dtype, shape, data_offsets: offsets } });

  it.each([
    ['offsets past the end of the data', t([0, 64]), 'spans bytes [0, 64) but the data section has 16 bytes'],
    ['begin after end', t([12, 4]), 'spans bytes [12, 4)'],
    ['size that does not match the shape', t([0, 12]), 'needs 16 bytes but spans 12'],
    ['negative offsets', t([-4, 12]), 'data_offsets [-4,12]'],
    ['fractional shape', t([0, 16], [2.5]), 'shape [2.5]'],
    ['shape overflowing to a huge count', t([0, 16], [2 ** 40, 2 ** 40]), 'needs'],
    ['a header that is an array', '[1, 2]', 'not a JSON object'],
    ['a header that is not JSON', '{"w": ', 'not valid UTF-8 JSON'],
    ['non-string metadata', { __metadata__: { a: 1 } }, '__metadata__ must map strings to strings'],
  ])('%s', (_what, header, message) => {
    const e = error(() => readSafetensors(file(header), 'bad.safetensors'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('bad.safetensors: bad safetensors file');
    expect(e.message).toContain(message);
  });

  it('refuses an absurd header length (2^60, and just past the file) without allocating it', () => {
    const e = error(() => readSafetensors(file(t([0, 16]), undefined, 2n ** 60n), 'absurd.safetensors'));
    expect(e.message).toContain('the header claims more than 2^53 bytes');
    const past = file(t([0, 16]));
    new DataView(past.buffer).setBigUint64(0, BigInt(past.length), true);
    expect(error(() => loadWeights(past, 'past.safetensors')).message).toContain(`the header claims ${past.length} bytes`);
  });

  // The reference implementation (Metadata::validate) refuses all three: tensors must tile the
  // data section exactly.
  it.each([
    ['overlapping tensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 16, 'tensors "a" [0, 16) and "b" [8, 16) overlap'],
    ['one tensor twice over the same bytes', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 16, 'overlap'],
    ['a gap between tensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12, 'bytes [4, 8) of the data section belong to no tensor'],
    ['bytes after the last tensor', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 16, 'the tensors cover 8 bytes but the data section has 16'],
  ])('refuses %s', (_what, header, dataLength, message) => {
    const e = error(() => loadWeights(file(header, new Uint8Array(dataLength)), 'layout.safetensors'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain(message);
  });

  it('accepts tensors listed out of offset order, and empty tensors, when they tile the data', () => {
    const header = { b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, e: { dtype: 'F32', shape: [0], data_offsets: [8, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    const data = new Uint8Array(Float32Array.of(1.5, -2).buffer);
    const sd = readSafetensors(file(header, data), 'ok.safetensors').stateDict;
    expect([...sd.get('a')!.data, ...sd.get('b')!.data]).toEqual([1.5, -2]);
    expect(sd.get('e')!.data.length).toBe(0);
  });

  it('names an unsupported dtype', () => {
    const e = error(() => loadWeights(file(t([0, 16], [4], 'I8')), 'i8.safetensors'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toContain('tensor "w" has dtype "I8"');
  });
});

describe('writeSafetensors argument checks', () => {
  it('refuses a tensor whose data does not fill its shape, and the reserved name __metadata__', () => {
    const bad: StateDict = new Map([['w', { shape: [2, 2], data: new Float32Array(3), dtype: 'float32' }]]);
    expect(error(() => writeSafetensors(bad)).message).toContain('tensor "w" has shape [2, 2] but 3 values');
    const reserved: StateDict = new Map([['__metadata__', { shape: [1], data: new Float32Array(1), dtype: 'float32' }]]);
    expect(error(() => writeSafetensors(reserved)).code).toBe('BAD_ARGUMENT');
  });

  it('refuses metadata that is not strings to strings (no reader would take the file)', () => {
    const sd: StateDict = new Map([['w', { shape: [1], data: new Float32Array(1), dtype: 'float32' }]]);
    for (const metadata of [{ steps: 5 }, null, 'format=pt']) {
      expect(error(() => writeSafetensors(sd, { metadata: metadata as unknown as Record<string, string> })).message).toContain('metadata must map strings to strings');
    }
  });
});
