import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/weights/load.js';
import type { StateDict } from '../../src/weights/types.js';
import { crc32, readStoredZip } from '../../src/weights/zip.js';
import { contiguous, crc32Simple, f32Bytes, stateDictPickle, torchZip, writeZip, type ZipInput } from './torch-writer.js';
import { error } from '../helpers/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(here, '../fixtures/models', name, 'model.pth')));

/** The fixture's entries under another record prefix, re-zipped by the test's own writer. */
function withPrefix(bytes: Uint8Array, prefix: string, options: { zip64?: boolean } = {}): Uint8Array {
  const entries: ZipInput[] = [...readStoredZip(bytes, 'fixture').values()].map((e) => ({ name: prefix + e.name.slice(e.name.indexOf('/') + 1), data: e.data }));
  return writeZip(entries, options);
}

function expectSame(a: StateDict, b: StateDict) {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    expect(b.get(k)!.shape).toEqual(t.shape);
    expect(Buffer.from(b.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
  }
}

describe('torch zip: record prefixes and zip64', () => {
  const original = loadWeights(fixture('srvgg_x4_tiny'), 'srvgg').stateDict;

  it.each(['model/', 'RealESRGAN_x4plus/', 'a/b/', ''])('reads the fixture re-zipped under the prefix "%s"', (prefix) => {
    const loaded = loadWeights(withPrefix(fixture('srvgg_x4_tiny'), prefix), 'prefixed.pth');
    expect(loaded.wrapperKey).toBe('params');
    expectSame(original, loaded.stateDict);
  });

  it('reads zip64 central records and end records', () => {
    expectSame(original, loadWeights(withPrefix(fixture('srvgg_x4_tiny'), 'model/', { zip64: true }), 'zip64.pth').stateDict);
  });

  it("CRC-32 matches a bitwise reference at every alignment and length (regression: entries shorter than the gap to a 4-byte boundary threw a RangeError)", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 8; start++) {
      for (const length of [0, 1, 3, 7, 8, 9, 16, 31, 200]) {
        const slice = data.subarray(start, start + length);
        expect(crc32(slice)).toBe(crc32Simple(slice));
      }
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('torch zip: damaged and foreign archives are refused clearly', () => {
  const pickle = stateDictPickle([contiguous('w', [4])]);
  const storage = f32Bytes([1, 2, 3, 4]);

  it('refuses compressed (deflated) entries instead of guessing', () => {
    const zip = writeZip([
      { name: 'archive/data.pkl', data: pickle, method: 8 },
      { name: 'archive/data/w', data: storage },
    ]);
    const e = error(() => loadWeights(zip, 'deflated.pth'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/deflated\.pth: zip entry "archive\/data\.pkl" is compressed \(method 8, deflate\)/);
  });

  it('refuses an entry whose central-directory size runs past the data', () => {
    const zip = torchZip(pickle, { w: storage });
    const view = new DataView(zip.buffer);
    // Find the central record of archive/data/w and make its sizes claim 1 GB.
    const at = findCentral(zip, 'archive/data/w');
    view.setUint32(at + 20, 1 << 30, true);
    view.setUint32(at + 24, 1 << 30, true);
    const e = error(() => loadWeights(zip, 'lying.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toContain('"archive/data/w" claims 1073741824 bytes');
  });

  it('refuses an entry whose compressed and uncompressed sizes differ', () => {
    const zip = torchZip(pickle, { w: storage });
    const at = findCentral(zip, 'archive/data/w');
    new DataView(zip.buffer).setUint32(at + 20, 8, true);
    expect(error(() => loadWeights(zip, 'sizes.pth')).message).toContain('compressed size 8 but size 16');
  });

  it('refuses a storage entry shorter than its storage record says', () => {
    const zip = torchZip(pickle, { w: f32Bytes([1, 2]) });
    const e = error(() => loadWeights(zip, 'short.pth'));
    expect(e.message).toContain('should hold 4 float32 elements (16 bytes) but has 8 bytes');
  });

  it('detects altered bytes through CRC-32', () => {
    const zip = torchZip(pickle, { w: storage });
    const at = indexOf(zip, storage);
    zip[at + 5] ^= 0x10;
    expect(error(() => loadWeights(zip, 'flipped.pth')).message).toContain('fails its CRC-32 check');
  });

  it('refuses a zip without data.pkl, a missing storage entry, and a truncated archive', () => {
    expect(error(() => loadWeights(writeZip([{ name: 'weights.bin', data: storage }]), 'other.zip')).message).toContain('not a PyTorch checkpoint');
    expect(error(() => loadWeights(torchZip(pickle, {}), 'missing.pth')).message).toContain('has no entry archive/data/w');
    const zip = torchZip(pickle, { w: storage });
    expect(error(() => loadWeights(zip.subarray(0, zip.length - 10), 'cut.pth')).message).toContain('no end-of-central-directory record');
  });

  it('refuses a pickle that references a storage key the archive lacks, by name', () => {
    const zip = torchZip(pickle, { other: storage });
    expect(error(() => loadWeights(zip, 'k.pth')).message).toContain('storage "w"');
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length));
}

function findCentral(zip: Uint8Array, name: string): number {
  const nameBytes = new TextEncoder().encode(name);
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = 0; at + 46 < zip.length; at++) {
    if (view.getUint32(at, true) === 0x02014b50 && view.getUint16(at + 28, true) === nameBytes.length && indexOf(zip.subarray(at + 46, at + 46 + nameBytes.length), nameBytes) === 0) return at;
  }
  throw new Error(`no central record for ${name}`);
}
