import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import { contiguous, f32Bytes, stateDictPickle, torchLegacy, type TensorSpec } from './torch-writer.js';
import { error } from '../helpers/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// Storage keys as torch < 1.6 wrote them: memory addresses, in no particular order.
const A = '94823749832112';
const B = '140234 not a number';

describe('legacy torch.save format', () => {
  it('reads the 2018 ESRGAN-layout fixture (legacy, no wrapper)', () => {
    const loaded = loadWeights(readFileSync(path.join(here, '../fixtures/models/esrgan_old_x4_tiny/model.pth')), 'old.pth');
    expect(loaded.format).toBe('pth-legacy');
    expect(loaded.stateDict.get('model.0.weight')!.shape).toEqual([16, 3, 3, 3]);
  });

  it('matches storages by key, not by position, with views into a root storage and shared storages', () => {
    const tensors: TensorSpec[] = [
      // A view record: storage B's elements [2, 6) seen as its own storage.
      { key: 'view', storage: { key: B, type: 'FloatStorage', numel: 8, view: { key: 'B-view', offset: 2, numel: 4 } }, offset: 1, shape: [3], stride: [1] },
      contiguous('a', [2, 2], 'FloatStorage', A),
      { key: 'a_t', storage: { key: A, type: 'FloatStorage', numel: 4 }, offset: 0, shape: [2, 2], stride: [1, 2] },
      { key: 'whole_b', storage: { key: B, type: 'FloatStorage', numel: 8 }, offset: 0, shape: [8], stride: [1] },
    ];
    const file = torchLegacy(stateDictPickle(tensors, { legacy: true, wrapper: 'state_dict' }), [
      { key: B, numel: 8, data: f32Bytes([10, 11, 12, 13, 14, 15, 16, 17]) },
      { key: A, numel: 4, data: f32Bytes([1, 2, 3, 4]) },
    ]);
    const loaded = loadWeights(file, 'legacy.pth');
    expect(loaded.format).toBe('pth-legacy');
    expect(loaded.wrapperKey).toBe('state_dict');
    const sd = loaded.stateDict;
    expect([...sd.get('view')!.data]).toEqual([13, 14, 15]);
    expect([...sd.get('a')!.data]).toEqual([1, 2, 3, 4]);
    expect([...sd.get('a_t')!.data]).toEqual([1, 3, 2, 4]);
    expect([...sd.get('whole_b')!.data]).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
  });

  it('reads float16 legacy storages', () => {
    const file = torchLegacy(stateDictPickle([contiguous('h', [2], 'HalfStorage', A)], { legacy: true }), [{ key: A, numel: 2, data: new Uint8Array(Uint16Array.of(0x3c00, 0xbc00).buffer) }]);
    const t = loadWeights(file, 'half.pth').stateDict.get('h')!;
    expect(t.dtype).toBe('float16');
    expect([...t.data]).toEqual([1, -1]);
  });

  const good = () => torchLegacy(stateDictPickle([contiguous('a', [4], 'FloatStorage', A)], { legacy: true }), [{ key: A, numel: 4, data: f32Bytes([1, 2, 3, 4]) }]);

  it('refuses a storage whose element count differs from its record', () => {
    const file = torchLegacy(stateDictPickle([contiguous('a', [4], 'FloatStorage', A)], { legacy: true }), [{ key: A, numel: 5, data: f32Bytes([1, 2, 3, 4, 5]) }]);
    expect(error(() => loadWeights(file, 'n.pth')).message).toContain(`storage "${A}" at byte`);
  });

  it('refuses a storage size field claiming more than the file holds, without allocating it', () => {
    const file = good();
    // The int64 count sits 16 bytes before the end (4 floats follow it): claim 2^40 elements.
    const view = new DataView(file.buffer);
    view.setUint32(file.length - 24, 0, true);
    view.setUint32(file.length - 20, 256, true);
    const e = error(() => loadWeights(file, 'huge.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('has 1099511627776 elements');
  });

  it('refuses a pickle storage record larger than the whole file', () => {
    const file = torchLegacy(stateDictPickle([{ key: 'a', storage: { key: A, type: 'FloatStorage', numel: 1e9 }, offset: 0, shape: [4], stride: [1] }], { legacy: true }), []);
    expect(error(() => loadWeights(file, 'record.pth')).message).toContain('claims 1000000000 elements but the file has only');
  });

  it('refuses truncation, a listed key nothing uses, and a missing magic number', () => {
    const file = good();
    expect(error(() => loadWeights(file.subarray(0, file.length - 3), 'cut.pth')).message).toContain('truncated');
    const unused = torchLegacy(stateDictPickle([contiguous('a', [4], 'FloatStorage', A)], { legacy: true }), [
      { key: A, numel: 4, data: f32Bytes([1, 2, 3, 4]) },
      { key: B, numel: 1, data: f32Bytes([0]) },
    ]);
    expect(error(() => loadWeights(unused, 'unused.pth')).message).toContain(`storage "${B}" is listed but no tensor uses it`);
    const noMagic = file.slice(15); // drop the magic-number pickle: starts at the protocol pickle
    expect(error(() => loadWeights(noMagic, 'plain.pkl')).message).toContain("without torch.save's magic number");
  });
});
