/** Reads a little-endian u64 as a number; values past 2^53 cannot describe a real file. */
export function readU64(view: DataView, offset: number): number | undefined {
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  if (high >= 0x200000) return undefined;
  return high * 4294967296 + low;
}
