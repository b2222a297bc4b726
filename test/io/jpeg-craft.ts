/**
 * Builds JPEG files byte by byte (ITU T.81), independently of jpeg-js, for the smallest data a
 * valid JPEG can have: Huffman tables with a single 1-bit code, so every 8×8 block of a
 * sequential JPEG costs exactly 2 bits (DC "no change" + end of block) and every block of a
 * progressive DC scan exactly 1 bit. The image decodes to flat mid-gray (128).
 */
export interface CraftJpegOptions {
  width: number;
  height: number;
  /** Sampling factors [h, v] per component; one entry is gray. Default [[1, 1]]. */
  sampling?: [number, number][];
  /** SOF2 with one DC scan (the AC coefficients stay zero) instead of SOF0. */
  progressive?: boolean;
  /** Entropy-coded bytes to drop from the end of the scan (a file too small for its frame). */
  shortBy?: number;
  /** Segments inserted before SOS (a second frame header, …). */
  extra?: Uint8Array[];
}

const u16 = (n: number) => [n >> 8, n & 255];

export function segment(marker: number, body: number[]): Uint8Array {
  return Uint8Array.from([0xff, marker, ...u16(body.length + 2), ...body]);
}

export function sof(marker: number, width: number, height: number, sampling: [number, number][]): Uint8Array {
  return segment(marker, [8, ...u16(height), ...u16(width), sampling.length, ...sampling.flatMap(([h, v], i) => [i + 1, (h << 4) | v, 0])]);
}

export function craftJpeg(o: CraftJpegOptions): Uint8Array {
  const sampling = o.sampling ?? [[1, 1]];
  const maxH = Math.max(...sampling.map((s) => s[0]));
  const maxV = Math.max(...sampling.map((s) => s[1]));
  const mcus = Math.ceil(o.width / 8 / maxH) * Math.ceil(o.height / 8 / maxV);
  const blocks = sampling.length === 1 ? Math.ceil(o.width / 8) * Math.ceil(o.height / 8) : mcus * sampling.reduce((a, [h, v]) => a + h * v, 0);
  const bits = blocks * (o.progressive ? 1 : 2);
  // All codes are "0"; the last byte is padded with 1 bits, as T.81 F.1.2.3 asks.
  const data = new Uint8Array(Math.ceil(bits / 8));
  if (bits % 8) data[data.length - 1] = 0xff >> (bits % 8);
  const oneCode = (tableClass: number) => segment(0xc4, [(tableClass << 4) | 0, 1, ...new Array(15).fill(0), 0]);
  const scan = segment(0xda, [sampling.length, ...sampling.flatMap((_, i) => [i + 1, 0x00]), 0, o.progressive ? 0 : 63, 0]);
  const parts = [
    Uint8Array.of(0xff, 0xd8),
    segment(0xdb, [0, ...new Array(64).fill(1)]),
    sof(o.progressive ? 0xc2 : 0xc0, o.width, o.height, sampling),
    oneCode(0),
    oneCode(1),
    ...(o.extra ?? []),
    scan,
    data.subarray(0, data.length - (o.shortBy ?? 0)),
    Uint8Array.of(0xff, 0xd9),
  ];
  return new Uint8Array(Buffer.concat(parts));
}
