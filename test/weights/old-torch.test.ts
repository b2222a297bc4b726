import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import { error } from '../helpers/errors.js';
import { contiguous, f32Bytes, PickleWriter, stateDictPickle, torchLegacy, type TensorSpec } from './torch-writer.js';

/**
 * Checkpoints that torch.load still reads but that older writers made: pickle protocol 1 (torch
 * < 1.6 with pickle_protocol=1), Python 2's OrderedDict pickling, torch 0.3's _rebuild_tensor.
 * The bytes are built here (torch-writer.ts) from the opcodes those writers emit; the same
 * builders' output was checked once against torch.load (torch 1.13).
 */
const A = '94823749832112';
const B = '94823749900000';
const tensors: TensorSpec[] = [contiguous('conv.weight', [2, 2], 'FloatStorage', A), contiguous('conv.bias', [2], 'FloatStorage', B)];
const storages = [
  { key: A, numel: 4, data: f32Bytes([1, 2, 3, 4]) },
  { key: B, numel: 2, data: f32Bytes([0.5, -0.5]) },
];

function expectWeights(file: Uint8Array, name: string): void {
  const loaded = loadWeights(file, name);
  expect(loaded.format).toBe('pth-legacy');
  expect([...loaded.stateDict.keys()]).toEqual(['conv.weight', 'conv.bias']);
  expect([...loaded.stateDict.get('conv.weight')!.data]).toEqual([1, 2, 3, 4]);
  expect(loaded.stateDict.get('conv.weight')!.shape).toEqual([2, 2]);
  expect([...loaded.stateDict.get('conv.bias')!.data]).toEqual([0.5, -0.5]);
}

describe('old but valid torch.save files load', () => {
  it('legacy format written with pickle_protocol=1 (the magic number in text, no PROTO)', () => {
    const file = torchLegacy(stateDictPickle(tensors, { legacy: true, protocol: 1 }), storages, { protocol: 1 });
    expect(String.fromCharCode(...file.subarray(0, 4))).toBe('L119');
    expectWeights(file, 'p1.pth');
  });

  it('an OrderedDict pickled by Python 2: OrderedDict([[key, value], …]) then its instance dict', () => {
    expectWeights(torchLegacy(stateDictPickle(tensors, { legacy: true, python2: true }), storages), 'py2.pth');
  });

  it("torch 0.3's _rebuild_tensor(storage, offset, size, stride), under Python 2, at protocol 1", () => {
    expectWeights(torchLegacy(stateDictPickle(tensors, { legacy: true, python2: true, rebuildV1: true }), storages), 'torch03.pth');
    expectWeights(torchLegacy(stateDictPickle(tensors, { legacy: true, python2: true, rebuildV1: true, protocol: 1 }), storages, { protocol: 1 }), 'torch03-p1.pth');
  });

  it('the allowlist grew by nothing callable: OrderedDict refuses anything but (key, value) pairs', () => {
    // OrderedDict("text"), OrderedDict([[1, 2, 3]]): Python would raise; so do we, as damage.
    const call = (args: (w: PickleWriter) => PickleWriter) =>
      args(new PickleWriter().proto(2).global('collections', 'OrderedDict')).reduce().stop().bytes();
    const withText = torchLegacy(call((w) => w.str('x').raw(0x85)), []);
    expect(error(() => loadWeights(withText, 'odd.pth')).message).toMatch(/OrderedDict is called with string arguments/);
    const triple = torchLegacy(call((w) => w.emptyList().mark().ints([1, 2, 3]).appends().raw(0x85)), []);
    expect(error(() => loadWeights(triple, 'triple.pth')).message).toMatch(/OrderedDict gets an item that is a tuple\/list/);
  });
});

describe('what no torch.load reads is refused with what to do', () => {
  it('pickle protocol 0: "old PyTorch format", re-save with a current torch', () => {
    // torch.save(..., pickle_protocol=0) writes the version as text INT and each storage
    // reference as the text of a tuple; torch.load itself fails on it.
    const text = new TextEncoder().encode('L119547037146038801333356L\n.I1001\n.(dp0\n.');
    const e = error(() => loadWeights(text, 'p0.pth'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/^p0\.pth: old PyTorch format: .*Re-save it with a current torch/);
  });
});
