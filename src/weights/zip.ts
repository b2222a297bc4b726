import { modelError } from './model-error.js';
import { readU64 } from './u64.js';

/**
 * A minimal reader for the zip files torch.save writes (torch ≥ 1.6): stored (uncompressed)
 * entries, zip64 records where present, any entry names. It returns views of the entries' bytes,
 * never copies, and checks every size and offset against the file before using it, so a lying
 * header is an error rather than an out-of-bounds read or a huge allocation. CRC-32 is checked
 * for every entry: a flipped bit in a weight is otherwise invisible, and it costs a third of the
 * load time, which is worth it.
 *
 * Layout (APPNOTE.TXT): local header + data for each entry, then the central directory (one
 * record per entry, with the authoritative sizes and offsets), then the end-of-central-directory
 * record, preceded by the zip64 EOCD record and locator when the writer used zip64.
 */

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
/** A 32-bit size or offset with this value means "see the zip64 extra field". */
const ZIP64_MARK = 0xffffffff;
const ZIP64_EXTRA_ID = 0x0001;

export interface ZipEntry {
  readonly name: string;
  /** The entry's bytes: a view into the zip, not a copy. */
  readonly data: Uint8Array;
}

/** Every entry of a zip whose entries are all stored, in central-directory order. */
export function readStoredZip(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string) => modelError('BAD_MODEL', source, `damaged zip archive: ${what}. The file is truncated or corrupt; download or save it again.`);
  const directory = locateCentralDirectory(view, bad);
  const reader = { bytes, view, source, bad, directory, decoder: new TextDecoder('utf-8') };
  const entries = new Map<string, ZipEntry>();
  let at = directory.offset;
  for (let i = 0; i < directory.count; i++) {
    const { entry, next } = readEntry(reader, at, i);
    if (entries.has(entry.name)) throw bad(`entry "${entry.name}" appears twice`);
    entries.set(entry.name, entry);
    at = next;
  }
  return entries;
}

type Bad = (what: string) => Error;

interface CentralDirectory {
  readonly count: number;
  readonly offset: number;
  readonly size: number;
}

/** Where the central directory is and how many records it holds (zip64's end record when present). */
function locateCentralDirectory(view: DataView, bad: Bad): CentralDirectory {
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) throw bad('no end-of-central-directory record (the end of the file is missing)');
  let count = view.getUint16(eocd + 10, true);
  let directorySize: number | undefined = view.getUint32(eocd + 12, true);
  let directoryOffset: number | undefined = view.getUint32(eocd + 16, true);
  let directoryEnd = eocd;

  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const record = readU64(view, locator + 8);
    if (record === undefined || record + 56 > locator) throw bad(`zip64 end record offset ${record ?? 'overflow'} is outside the file`);
    if (view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) throw bad(`no zip64 end record at offset ${record}`);
    const count64 = readU64(view, record + 32);
    directorySize = readU64(view, record + 40);
    directoryOffset = readU64(view, record + 48);
    if (count64 === undefined) throw bad('zip64 entry count overflows');
    count = count64;
    directoryEnd = record;
  }
  if (directorySize === undefined || directoryOffset === undefined || directoryOffset + directorySize > directoryEnd) {
    throw bad(`central directory (offset ${directoryOffset}, ${directorySize} bytes) runs past the end record at ${directoryEnd}`);
  }
  if (count * CENTRAL_SIZE > directorySize) throw bad(`${count} entries cannot fit in a ${directorySize}-byte central directory`);
  return { count, offset: directoryOffset, size: directorySize };
}

interface ZipReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly source: string;
  readonly bad: Bad;
  readonly directory: CentralDirectory;
  readonly decoder: TextDecoder;
}

/** Central-directory record `i` at `at`, checked against its local header and CRC; `next` is the record after it. */
function readEntry(r: ZipReader, at: number, i: number): { entry: ZipEntry; next: number } {
  const { bytes, view, source, bad, directory } = r;
  const directoryEnd = directory.offset + directory.size;
  if (at + CENTRAL_SIZE > directoryEnd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
    throw bad(`central directory record ${i} at offset ${at} is missing`);
  }
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const crc = view.getUint32(at + 16, true);
  let compressedSize = view.getUint32(at + 20, true);
  let size = view.getUint32(at + 24, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  let localOffset = view.getUint32(at + 42, true);
  const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
  if (next > directoryEnd) throw bad(`central directory record ${i} runs past the directory`);
  const name = r.decoder.decode(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength));

  // zip64 extra field: the 64-bit values, in this order, for each 32-bit field that is 0xFFFFFFFF.
  if (size === ZIP64_MARK || compressedSize === ZIP64_MARK || localOffset === ZIP64_MARK) {
    const extra = findExtra(view, at + CENTRAL_SIZE + nameLength, extraLength, ZIP64_EXTRA_ID);
    if (!extra) throw bad(`entry "${name}" needs a zip64 extra field and has none`);
    let field = extra.start;
    const next64 = () => {
      if (field + 8 > extra.end) throw bad(`entry "${name}": zip64 extra field is too short`);
      const value = readU64(view, field);
      field += 8;
      if (value === undefined) throw bad(`entry "${name}": zip64 size overflows`);
      return value;
    };
    if (size === ZIP64_MARK) size = next64();
    if (compressedSize === ZIP64_MARK) compressedSize = next64();
    if (localOffset === ZIP64_MARK) localOffset = next64();
  }

  if (flags & 1) throw modelError('UNSUPPORTED_MODEL', source, `zip entry "${name}" is encrypted; wgsr reads only plain archives as torch.save writes them.`);
  if (method !== 0) {
    throw modelError(
      'UNSUPPORTED_MODEL',
      source,
      `zip entry "${name}" is compressed (method ${method}${method === 8 ? ', deflate' : ''}). torch.save writes ` +
        'uncompressed entries, so this archive was re-packed by another tool; load and re-save it with torch.save, or convert it to .safetensors.',
    );
  }
  if (compressedSize !== size) throw bad(`stored entry "${name}" has compressed size ${compressedSize} but size ${size}`);
  const data = localData(r, name, localOffset, size, compressedSize);
  if (crc32(data) !== crc) throw bad(`entry "${name}" fails its CRC-32 check (its bytes were altered)`);
  return { entry: { name, data }, next };
}

/** The entry's bytes after its local header, which must agree with the central record. */
function localData(r: ZipReader, name: string, localOffset: number, size: number, compressedSize: number): Uint8Array {
  const { view, bad } = r;
  const dataEnd = r.directory.offset;
  if (localOffset + LOCAL_SIZE > dataEnd || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
    throw bad(`entry "${name}": no local header at offset ${localOffset}`);
  }
  const localFlags = view.getUint16(localOffset + 6, true);
  const localNameLength = view.getUint16(localOffset + 26, true);
  const localExtraLength = view.getUint16(localOffset + 28, true);
  const dataStart = localOffset + LOCAL_SIZE + localNameLength + localExtraLength;
  if (dataStart + size > dataEnd) {
    throw bad(`entry "${name}" claims ${size} bytes at offset ${dataStart}, past the ${dataEnd} bytes of entry data in the file`);
  }
  const localName = r.decoder.decode(r.bytes.subarray(localOffset + LOCAL_SIZE, localOffset + LOCAL_SIZE + localNameLength));
  if (localName !== name) throw bad(`entry "${name}": local header names "${localName}"`);
  // Without the data-descriptor flag the local header repeats the sizes; they must agree.
  if (!(localFlags & 8)) {
    const localCompressed = view.getUint32(localOffset + 18, true);
    const localSize = view.getUint32(localOffset + 22, true);
    if ((localSize !== ZIP64_MARK && localSize !== size) || (localCompressed !== ZIP64_MARK && localCompressed !== compressedSize)) {
      throw bad(`entry "${name}": local header says ${localSize} bytes, central directory ${size}`);
    }
  }
  return r.bytes.subarray(dataStart, dataStart + size);
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    // The comment length must reach exactly to the end of the file: a stray signature in a
    // comment or in entry data does not count.
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return -1;
}

function findExtra(view: DataView, start: number, length: number, id: number): { start: number; end: number } | undefined {
  const end = start + length;
  for (let at = start; at + 4 <= end; ) {
    const size = view.getUint16(at + 2, true);
    if (view.getUint16(at, true) === id) return { start: at + 4, end: Math.min(end, at + 4 + size) };
    at += 4 + size;
  }
  return undefined;
}

let crcTables: Uint32Array[] | undefined;

/**
 * CRC-32 (IEEE, as zip uses), slicing by 8 bytes and reading aligned words (little-endian hosts,
 * see dtypes.ts): about 100 ms for a 67 MB model on a slow core.
 */
export function crc32(data: Uint8Array): number {
  const t = (crcTables ??= makeCrcTables());
  const [t0, t1, t2, t3, t4, t5, t6, t7] = t as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0xffffffff;
  let i = 0;
  // Bytes up to a 4-byte boundary, then 8 bytes per step as two little-endian words.
  for (; i < data.length && (data.byteOffset + i) % 4 !== 0; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  const words = Math.floor((data.length - i) / 8) * 2;
  // (A short entry can end before the boundary: then there are no words to view.)
  const w = words ? new Uint32Array(data.buffer, data.byteOffset + i, words) : new Uint32Array(0);
  for (let k = 0; k < words; k += 2) {
    const a = crc ^ w[k]!;
    const b = w[k + 1]!;
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[b & 0xff]! ^
      t2[(b >>> 8) & 0xff]! ^
      t1[(b >>> 16) & 0xff]! ^
      t0[b >>> 24]!;
  }
  for (i += words * 4; i < data.length; i++) crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeCrcTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let k = 1; k < 8; k++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[k]![n] = c;
    }
  }
  return tables;
}
