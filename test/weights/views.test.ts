import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import type { StateDict } from '../../src/weights/types.js';
import { contiguous, f32Bytes, stateDictPickle, torchZip, type StorageTypeName, type TensorSpec } from './torch-writer.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function loadZip(tensors: TensorSpec[], storages: Record<string, Uint8Array>, byteorder?: 'little' | 'big'): StateDict {
  return loadWeights(torchZip(stateDictPickle(tensors), storages, byteorder ? { byteorder } : {}), 'views.pth').stateDict;
}

function values(sd: StateDict, key: string): number[] {
  return [...sd.get(key)!.data];
}

/** A strided view over float32 storage `key` holding 0, 1, 2, …. */
function view(key: string, storage: string, numel: number, offset: number, shape: number[], stride: number[]): TensorSpec {
  return { key, storage: { key: storage, type: 'FloatStorage', numel }, offset, shape, stride };
}

describe('tensors as views of storages', () => {
  it('makes non-contiguous views contiguous: transpose, step slice, stride-0 expand', () => {
    const sd = loadZip(
      [
        view('transposed', 's', 6, 0, [3, 2], [1, 3]),
        view('every_other', 's', 6, 1, [3], [2]),
        view('expanded', 's', 6, 2, [2, 3], [0, 1]),
        view('column', 's', 6, 2, [2, 1], [3, 1]),
      ],
      { s: f32Bytes(range(6)) },
    );
    expect(values(sd, 'transposed')).toEqual([0, 3, 1, 4, 2, 5]);
    expect(values(sd, 'every_other')).toEqual([1, 3, 5]);
    expect(values(sd, 'expanded')).toEqual([2, 3, 4, 2, 3, 4]);
    expect(values(sd, 'column')).toEqual([2, 5]);
    expect(sd.get('transposed')!.shape).toEqual([3, 2]);
  });

  it('reads a channels-last conv weight into OIHW order', () => {
    // Storage in O,H,W,I order; the tensor's strides make it [O, I, H, W].
    const [O, I, H, W] = [2, 3, 2, 2];
    const storage = range(O * H * W * I).map((v) => v * 0.5);
    const sd = loadZip([view('w', 's', storage.length, 0, [O, I, H, W], [H * W * I, 1, W * I, I])], { s: f32Bytes(storage) });
    const expected: number[] = [];
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) expected.push(storage[o * H * W * I + h * W * I + w * I + i]!);
    expect(values(sd, 'w')).toEqual(expected);
  });

  it('lets several tensors share one storage at different offsets', () => {
    const sd = loadZip(
      [view('a', 'shared', 10, 0, [4], [1]), view('b', 'shared', 10, 4, [2, 3], [3, 1]), view('tied', 'shared', 10, 0, [4], [1])],
      { shared: f32Bytes(range(10)) },
    );
    expect(values(sd, 'a')).toEqual([0, 1, 2, 3]);
    expect(values(sd, 'b')).toEqual([4, 5, 6, 7, 8, 9]);
    expect(values(sd, 'tied')).toEqual([0, 1, 2, 3]);
    // Each tensor owns its data: changing one never changes another.
    sd.get('a')!.data[0] = 42;
    expect(values(sd, 'tied')[0]).toBe(0);
  });

  it('treats size-1 dimensions with arbitrary strides as contiguous, and reads scalars and empty tensors', () => {
    const sd = loadZip(
      [view('bias', 's', 6, 1, [1, 3, 1], [99, 1, 7]), view('scalar', 's', 6, 5, [], []), view('empty', 's', 6, 0, [0, 3], [3, 1])],
      { s: f32Bytes(range(6)) },
    );
    expect(values(sd, 'bias')).toEqual([1, 2, 3]);
    expect(values(sd, 'scalar')).toEqual([5]);
    expect(sd.get('scalar')!.shape).toEqual([]);
    expect(values(sd, 'empty')).toEqual([]);
  });

  it('unwraps torch._utils._rebuild_parameter', async () => {
    const { PickleWriter, writeTensor } = await import('./torch-writer.js');
    const w = new PickleWriter().proto(2).emptyDict().str('weight').global('torch._utils', '_rebuild_parameter').mark();
    writeTensor(w, contiguous('weight', [2]), false);
    w.bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setitem().stop();
    const sd = loadWeights(torchZip(w.bytes(), { weight: f32Bytes([1.5, -2]) }), 'param.pth').stateDict;
    expect(values(sd, 'weight')).toEqual([1.5, -2]);
  });
});

describe('storage dtypes', () => {
  function one(type: StorageTypeName, bytes: Uint8Array, numel: number) {
    return loadZip([contiguous('t', [numel], type)], { t: bytes }).get('t')!;
  }
  const u16 = (...v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);

  it('float16: normal, subnormal, largest, infinite and signed-zero values, exactly', () => {
    const t = one('HalfStorage', u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x8000, 0x3555), 9);
    expect(t.dtype).toBe('float16');
    expect([...t.data]).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, -0, 0.333251953125]);
    expect(Number.isNaN(one('HalfStorage', u16(0x7e00), 1).data[0])).toBe(true);
  });

  it('bfloat16: the upper half of a float32', () => {
    const t = one('BFloat16Storage', u16(0x3f80, 0xc0a0, 0x7f80, 0x3eaa, 0x0001), 5);
    expect(t.dtype).toBe('bfloat16');
    expect([...t.data]).toEqual([1, -5, Infinity, 0.33203125, 2 ** -133]);
  });

  it('float64, int64, int32, uint8 and bool', () => {
    expect([...one('DoubleStorage', new Uint8Array(Float64Array.of(0.1, -3.25).buffer), 2).data]).toEqual([Math.fround(0.1), -3.25]);
    const longs = one('LongStorage', new Uint8Array(BigInt64Array.of(-3n, 2n ** 40n, 100000n).buffer), 3);
    expect(longs.dtype).toBe('int64');
    expect([...longs.data]).toEqual([-3, 2 ** 40, 100000]);
    expect([...one('IntStorage', new Uint8Array(Int32Array.of(-7, 123456).buffer), 2).data]).toEqual([-7, 123456]);
    expect([...one('ByteStorage', Uint8Array.of(0, 255), 2).data]).toEqual([0, 255]);
    expect([...one('BoolStorage', Uint8Array.of(1, 0), 2).data]).toEqual([1, 0]);
  });

  it('big-endian storages (byteorder "big") are byte-swapped', () => {
    const little = f32Bytes([1.5, -2, 3.25]);
    const big = new Uint8Array(12);
    for (let i = 0; i < 12; i++) big[i] = little[i - (i % 4) + 3 - (i % 4)]!;
    const sd = loadZip([contiguous('t', [3])], { t: big }, 'big');
    expect(values(sd, 't')).toEqual([1.5, -2, 3.25]);
  });

  it('reads unaligned storages (zip entries need not be 4-byte aligned)', () => {
    // The writer puts no padding in local headers, so entry offsets depend on name lengths.
    const sd = loadZip([contiguous('a', [3], 'FloatStorage', 'x'), contiguous('b', [2], 'HalfStorage', 'yy')], { x: f32Bytes([1, 2, 3]), yy: u16(0x3c00, 0x4000) });
    expect(values(sd, 'a')).toEqual([1, 2, 3]);
    expect(values(sd, 'b')).toEqual([1, 2]);
  });
});
