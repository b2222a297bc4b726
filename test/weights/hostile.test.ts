import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WgsrError } from '../../src/errors.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { rng } from '../helpers/synthetic.js';
import { f32Bytes, PickleWriter, stateDictPickle, torchLegacy, torchZip } from './torch-writer.js';

const modelsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
const fixtures = readdirSync(modelsDir).map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(modelsDir, name, 'model.pth'))) }));

function error(fn: () => unknown): WgsrError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WgsrError)) throw new Error(`expected a WgsrError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected a WgsrError, but the file loaded');
}

/** What torch.save would write if a model's __reduce__ returned (callable, ("touch /tmp/pwned",)). */
function payload(module: string, name: string): Uint8Array {
  return new PickleWriter().proto(2).emptyDict().str('params').global(module, name).str('touch /tmp/pwned').raw(0x85).reduce().setitem().stop().bytes();
}

describe('hostile and broken files are refused with a clear WgsrError', () => {
  it('empty file', () => {
    const e = error(() => loadWeights(new Uint8Array(0), 'empty.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toBe('empty.pth: the file is empty.');
  });

  it('random bytes', () => {
    const random = rng(7);
    for (let i = 0; i < 50; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 4000) }, () => Math.floor(random() * 256));
      expect(error(() => loadWeights(bytes, 'random.bin')).message).toMatch(/^random\.bin: /);
    }
  });

  it('plain text', () => {
    const e = error(() => loadWeights(new TextEncoder().encode('<!DOCTYPE html>\n<html>404 Not Found</html>'), 'model.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('not a model file');
    expect(e.message).toContain('the text "<!DOCTYPE html>\\n"');
  });

  it.each(fixtures.map((f) => f.name))('%s truncated at 40 points', (name) => {
    const bytes = fixtures.find((f) => f.name === name)!.bytes;
    for (let i = 0; i < 40; i++) {
      const cut = Math.floor((bytes.length * i) / 40);
      const e = error(() => loadWeights(bytes.subarray(0, cut), `${name}.pth`));
      expect(['BAD_MODEL', 'UNSUPPORTED_MODEL']).toContain(e.code);
    }
  });

  it.each([
    ['posix', 'system'],
    ['builtins', 'eval'],
  ])('a torch zip whose pickle calls %s.%s', (module, name) => {
    const e = error(() => loadWeights(torchZip(payload(module, name), {}), 'evil.pth'));
    expect(e.code).toBe('UNSAFE_MODEL');
    expect(e.message).toContain(`evil.pth: refusing to load: the pickle references ${module}.${name}`);
  });

  it('a legacy file whose object pickle calls builtins.eval', () => {
    const e = error(() => loadWeights(torchLegacy(payload('builtins', 'eval'), []), 'evil-legacy.pth'));
    expect(e.code).toBe('UNSAFE_MODEL');
    expect(e.message).toContain('builtins.eval');
  });

  it('a storage record whose size claims more than the file holds', () => {
    const pickle = stateDictPickle([{ key: 'w', storage: { key: '0', type: 'FloatStorage', numel: 2 ** 40 }, offset: 0, shape: [2 ** 20, 2 ** 20], stride: [2 ** 20, 1] }]);
    const e = error(() => loadWeights(torchZip(pickle, { 0: f32Bytes([1]) }), 'big.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('claims 1099511627776 elements but the file has only');
  });

  it('a tensor view that reads past its storage, or expands beyond the element budget', () => {
    const past = stateDictPickle([{ key: 'w', storage: { key: '0', type: 'FloatStorage', numel: 4 }, offset: 2, shape: [4], stride: [1] }]);
    expect(error(() => loadWeights(torchZip(past, { 0: f32Bytes([1, 2, 3, 4]) }), 'past.pth')).message).toContain('reads element 5 of storage "0", which holds 4');
    // Stride 0 lets 4 bytes pose as 2^40 elements: refused by the budget, never allocated.
    const expand = stateDictPickle([{ key: 'w', storage: { key: '0', type: 'FloatStorage', numel: 1 }, offset: 0, shape: [2 ** 20, 2 ** 20], stride: [0, 0] }]);
    expect(error(() => loadWeights(torchZip(expand, { 0: f32Bytes([1]) }), 'expand.pth')).message).toContain('claims more elements than the file can hold');
  });

  it('a real checkpoint whose zip entry sizes lie', () => {
    const bytes = fixtures.find((f) => f.name === 'srvgg_x4_tiny')!.bytes.slice();
    const view = new DataView(bytes.buffer);
    // Every central-directory record: claim a size larger than the file.
    for (let at = 0; at + 46 < bytes.length; at++) {
      if (view.getUint32(at, true) === 0x02014b50) {
        view.setUint32(at + 20, bytes.length, true);
        view.setUint32(at + 24, bytes.length, true);
      }
    }
    const e = error(() => loadWeights(bytes, 'lying.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('damaged zip archive');
  });

  it('a safetensors file whose offsets point outside it, or whose header length is absurd', () => {
    const header = new TextEncoder().encode('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}');
    const outside = new Uint8Array(8 + header.length + 8);
    new DataView(outside.buffer).setUint32(0, header.length, true);
    outside.set(header, 8);
    expect(error(() => loadWeights(outside, 'out.safetensors')).message).toContain('spans bytes [8, 16) but the data section has 8 bytes');
    const good = writeSafetensors(new Map([['w', { shape: [2], data: Float32Array.of(1, 2), dtype: 'float32' }]]));
    const absurd = good.slice();
    new DataView(absurd.buffer).setUint32(0, 0xfffffff0, true);
    expect(error(() => loadWeights(absurd, 'absurd.safetensors')).message).toContain('the header claims 4294967280 bytes');
  });

  it('a checkpoint with no tensors in it', () => {
    const pickle = new PickleWriter().proto(2).emptyDict().str('epoch').int(10).setitem().stop().bytes();
    const e = error(() => loadWeights(torchZip(pickle, {}), 'empty-ckpt.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('no weights found');
    expect(e.message).toContain('top-level keys: epoch');
  });

  it('a tar checkpoint from PyTorch < 0.4', () => {
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    expect(error(() => loadWeights(tar, 'old.tar')).code).toBe('UNSUPPORTED_MODEL');
  });
});
