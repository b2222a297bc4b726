/**
 * Test-only writers for the files torch.save produces, written from the format descriptions, so
 * hand-made checkpoints can exercise what the fixtures and src/weights/pth-writer.ts (which
 * writes only contiguous little-endian tensors) do not: strided and shared views, other zip
 * prefixes, zip64, big-endian storages, the legacy format, hostile pickles. The pickle opcodes
 * come from src/weights/pickle-writer.ts; the zip and its CRC are written independently here.
 */

import { PickleWriter } from '../../src/weights/pickle-writer.js';

/** The library's pickle opcode writer (src/weights/pickle-writer.ts), used here to hand-make pickles. */
export { PickleWriter };

function le(n: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));
}

export type StorageTypeName = 'FloatStorage' | 'HalfStorage' | 'BFloat16Storage' | 'DoubleStorage' | 'LongStorage' | 'IntStorage' | 'ByteStorage' | 'BoolStorage';

export interface TensorSpec {
  key: string;
  storage: { key: string; type: StorageTypeName; numel: number; view?: { key: string; offset: number; numel: number } };
  offset: number;
  shape: number[];
  stride: number[];
}

/** How old a writer to imitate: `torch03` is torch 0.3 under Python 2 (see stateDictPickle). */
export interface PickleStyle {
  /** Pickle protocol: 1 has no PROTO opcode and spells booleans as text INT. Default 2. */
  protocol?: 1 | 2;
  /** torch 0.3: `_rebuild_tensor(storage, offset, size, stride)`, four arguments. */
  rebuildV1?: boolean;
}

/**
 * One `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())` call,
 * exactly as torch.save spells it; `legacy` adds the sixth persistent-id field (view metadata).
 */
export function writeTensor(w: PickleWriter, t: TensorSpec, legacy: boolean, style: PickleStyle = {}): void {
  w.global('torch._utils', style.rebuildV1 ? '_rebuild_tensor' : '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', t.storage.type).str(t.storage.key).str('cpu').int(t.storage.numel);
  if (legacy) {
    if (t.storage.view) w.mark().str(t.storage.view.key).int(t.storage.view.offset).int(t.storage.view.numel).tuple();
    else w.none();
  }
  w.tuple().binpersid();
  w.int(t.offset).ints(t.shape).ints(t.stride);
  if (!style.rebuildV1) {
    if (style.protocol === 1) w.raw(0x49, ...new TextEncoder().encode('00\n')); // INT False, as protocol 1 writes it
    else w.bool(false);
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
  }
  w.tuple().reduce();
}

/**
 * A whole state-dict pickle: OrderedDict of tensors, optionally under one wrapper key. With
 * `python2`, the OrderedDict is pickled as Python 2 did: `OrderedDict([[key, value], …])` with
 * byte-string keys, then BUILD with its instance dict.
 */
export function stateDictPickle(tensors: TensorSpec[], options: { wrapper?: string; legacy?: boolean; python2?: boolean } & PickleStyle = {}): Uint8Array {
  const w = new PickleWriter();
  if (options.protocol !== 1) w.proto(2);
  if (options.wrapper) w.emptyDict().str(options.wrapper);
  if (options.python2) {
    w.global('collections', 'OrderedDict').emptyList().mark();
    for (const t of tensors) {
      const key = new TextEncoder().encode(t.key);
      w.emptyList().mark().raw(0x55, key.length, ...key); // SHORT_BINSTRING: a Python 2 str
      writeTensor(w, t, options.legacy ?? false, options);
      w.appends();
    }
    w.appends().raw(0x85).reduce(); // TUPLE1, REDUCE
    w.emptyDict().str('_metadata').emptyDict().setitem().build();
  } else {
    w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    for (const t of tensors) {
      w.str(t.key);
      writeTensor(w, t, options.legacy ?? false, options);
    }
    w.setitems();
  }
  if (options.wrapper) w.setitem();
  return w.stop().bytes();
}

/** A contiguous tensor with its own storage. */
export function contiguous(key: string, shape: number[], type: StorageTypeName = 'FloatStorage', storageKey = key): TensorSpec {
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { key, storage: { key: storageKey, type, numel: shape.reduce((a, b) => a * b, 1) }, offset: 0, shape, stride };
}

// --- zip -----------------------------------------------------------------------------------

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Compression method to claim (the data is stored as given regardless). */
  method?: number;
}

/**
 * A zip of stored entries with data descriptors, like torch's writer. With `zip64`, every size
 * and offset in the central directory is 0xFFFFFFFF with the real value in a zip64 extra field,
 * and the end record points to a zip64 end record (what torch writes for files over 4 GB).
 * `crc32` replaces the bitwise CRC where speed matters (the fuzzer re-zips every input).
 */
export function writeZip(entries: ZipInput[], options: { zip64?: boolean; crc32?: (data: Uint8Array) => number } = {}): Uint8Array {
  const crc32 = options.crc32 ?? crc32Simple;
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const crc = crc32(e.data);
    const local = header(30, [
      [0, 4, 0x04034b50], [4, 2, 20], [6, 2, 0x08], [8, 2, e.method ?? 0], [14, 4, crc],
      [18, 4, e.data.length], [22, 4, e.data.length], [26, 2, name.length],
    ]);
    chunks.push(local, name, e.data);
    const big = options.zip64 ? 0xffffffff : undefined;
    const extra = options.zip64 ? concat([header(4, [[0, 2, 1], [2, 2, 24]]), u64(e.data.length), u64(e.data.length), u64(offset)]) : new Uint8Array(0);
    central.push(
      header(46, [
        [0, 4, 0x02014b50], [4, 2, 45], [6, 2, 45], [8, 2, 0x08], [10, 2, e.method ?? 0], [16, 4, crc],
        [20, 4, big ?? e.data.length], [24, 4, big ?? e.data.length], [28, 2, name.length], [30, 2, extra.length], [42, 4, big ?? offset],
      ]),
      name,
      extra,
    );
    offset += local.length + name.length + e.data.length;
  }
  const centralSize = central.reduce((a, c) => a + c.length, 0);
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const record = offset + centralSize;
    tail.push(
      header(24, [[0, 4, 0x06064b50], [4, 4, 44], [12, 2, 45], [14, 2, 45]]),
      u64(entries.length), u64(entries.length), u64(centralSize), u64(offset),
      header(8, [[0, 4, 0x07064b50]]), u64(record), header(4, [[0, 4, 1]]),
      header(22, [[0, 4, 0x06054b50], [4, 2, 0xffff], [6, 2, 0xffff], [8, 2, 0xffff], [10, 2, 0xffff], [12, 4, 0xffffffff], [16, 4, 0xffffffff]]),
    );
  } else {
    tail.push(header(22, [[0, 4, 0x06054b50], [8, 2, entries.length], [10, 2, entries.length], [12, 4, centralSize], [16, 4, offset]]));
  }
  return concat([...chunks, ...central, ...tail]);
}

function u64(n: number): Uint8Array {
  return Uint8Array.from(le(n, 8));
}

function header(size: number, fields: [number, number, number][]): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (const [at, n, value] of fields) {
    if (n === 2) v.setUint16(at, value, true);
    else v.setUint32(at, value >>> 0, true);
  }
  return b;
}

/** Bitwise CRC-32, independent of the table-driven one under test. */
export function crc32Simple(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A torch zip checkpoint: `<prefix>data.pkl`, `<prefix>data/<key>` for each storage, version. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, options: { prefix?: string; byteorder?: 'little' | 'big' } = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive/';
  const entries: ZipInput[] = [{ name: `${prefix}data.pkl`, data: pickle }];
  if (options.byteorder) entries.push({ name: `${prefix}byteorder`, data: new TextEncoder().encode(options.byteorder) });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${prefix}data/${key}`, data });
  entries.push({ name: `${prefix}version`, data: new TextEncoder().encode('3\n') });
  return writeZip(entries);
}

// --- legacy --------------------------------------------------------------------------------

const MAGIC = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]; // 0x1950a86a20f9469cfc6c, little-endian

/**
 * The legacy format: magic, protocol 1001, sys info, object pickle, key list, storages. With
 * `protocol: 1` the small pickles are written as pickle protocol 1 does (the magic number as a
 * text LONG, no PROTO opcode); the object pickle must then be written that way too.
 */
export function torchLegacy(objectPickle: Uint8Array, storages: { key: string; numel: number; data: Uint8Array }[], options: { protocol?: 1 | 2 } = {}): Uint8Array {
  const p1 = options.protocol === 1;
  const start = () => (p1 ? new PickleWriter() : new PickleWriter().proto(2));
  const magic = p1
    ? new TextEncoder().encode('L119547037146038801333356L\n.')
    : new PickleWriter().proto(2).raw(0x8a, MAGIC.length, ...MAGIC).stop().bytes();
  const protocol = start().int(1001).stop().bytes();
  const sysInfo = start().emptyDict().mark().str('protocol_version').int(1001).str('little_endian');
  if (p1) sysInfo.raw(0x49, ...new TextEncoder().encode('01\n')); // INT True
  else sysInfo.bool(true);
  sysInfo.setitems().stop();
  const keys = start().emptyList().mark();
  for (const s of storages) keys.str(s.key);
  const parts = [magic, protocol, sysInfo.bytes(), objectPickle, keys.appends().stop().bytes()];
  for (const s of storages) parts.push(Uint8Array.from(le(s.numel, 8)), s.data);
  return concat(parts);
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
