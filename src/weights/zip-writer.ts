import { WgsrError } from '../errors.js';
import { crc32 } from './zip.js';

/**
 * Writes a zip of stored (uncompressed) entries the way torch.save does: each entry's data
 * starts on a 64-byte boundary, padded with an extra field of id "FB" in its local header, so a
 * reader can map storages in place. Sizes and CRC-32s are in the local headers (no data
 * descriptors). No zip64: an archive must stay under 4 GiB and 65535 entries, else this refuses.
 */

export interface ZipWriteEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
const EXTRA_HEADER = 4;
/** The extra-field id torch's writer pads with ("FB"). */
const PADDING_EXTRA_ID = 0x4246;
const ALIGNMENT = 64;
/** Version 2.0: stored entries, no zip64. */
const ZIP_VERSION = 20;

export function writeStoredZip(entries: readonly ZipWriteEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = entries.map((e) => encoder.encode(e.name));
  // Lay out every local header, its padding and data first, to size the archive once.
  const layout: { offset: number; padding: number; dataStart: number }[] = [];
  let at = 0;
  entries.forEach((e, i) => {
    const headerEnd = at + LOCAL_SIZE + names[i]!.length;
    let padding = (ALIGNMENT - ((headerEnd + EXTRA_HEADER) % ALIGNMENT)) % ALIGNMENT;
    padding += EXTRA_HEADER; // the extra field's own header, then `padding - 4` filler bytes
    layout.push({ offset: at, padding, dataStart: headerEnd + padding });
    at = headerEnd + padding + e.data.length;
  });
  const directoryOffset = at;
  const directorySize = names.reduce((sum, n) => sum + CENTRAL_SIZE + n.length, 0);
  const total = directoryOffset + directorySize + EOCD_SIZE;
  if (total > 0xffffffff || entries.length > 0xffff) {
    throw new WgsrError('BAD_ARGUMENT', `a ${total}-byte archive of ${entries.length} entries needs zip64, which wgsr does not write; save fewer or smaller tensors (or use --half).`);
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const u16 = (offset: number, v: number) => view.setUint16(offset, v, true);
  const u32 = (offset: number, v: number) => view.setUint32(offset, v >>> 0, true);
  const crcs = entries.map((e) => crc32(e.data));

  entries.forEach((e, i) => {
    const { offset, padding, dataStart } = layout[i]!;
    const name = names[i]!;
    u32(offset, 0x04034b50);
    u16(offset + 4, ZIP_VERSION);
    u32(offset + 14, crcs[i]!);
    u32(offset + 18, e.data.length);
    u32(offset + 22, e.data.length);
    u16(offset + 26, name.length);
    u16(offset + 28, padding);
    out.set(name, offset + LOCAL_SIZE);
    const extra = offset + LOCAL_SIZE + name.length;
    u16(extra, PADDING_EXTRA_ID);
    u16(extra + 2, padding - EXTRA_HEADER);
    out.fill(0x5a, extra + EXTRA_HEADER, dataStart); // torch pads with 'Z'
    out.set(e.data, dataStart);
  });

  let record = directoryOffset;
  entries.forEach((e, i) => {
    const name = names[i]!;
    u32(record, 0x02014b50);
    u16(record + 4, ZIP_VERSION);
    u16(record + 6, ZIP_VERSION);
    u32(record + 16, crcs[i]!);
    u32(record + 20, e.data.length);
    u32(record + 24, e.data.length);
    u16(record + 28, name.length);
    u32(record + 42, layout[i]!.offset);
    out.set(name, record + CENTRAL_SIZE);
    record += CENTRAL_SIZE + name.length;
  });

  u32(record, 0x06054b50);
  u16(record + 8, entries.length);
  u16(record + 10, entries.length);
  u32(record + 12, directorySize);
  u32(record + 16, directoryOffset);
  return out;
}
