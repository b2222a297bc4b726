/**
 * A NUT muxer for one stream of raw RGB frames with their own timestamps: how upscaled frames
 * reach the encoder. Raw frames over a pipe carry no timestamps (`-f rawvideo` assumes a
 * constant rate), and Matroska refuses raw RGB; NUT, FFmpeg's own container, carries both, so
 * a variable frame rate survives exactly (each frame keeps its pts in the source's time base).
 *
 * Only what FFmpeg's demuxer (libavformat/nutdec.c) reads is written: a main header in
 * version 4 with the "pipe" flag (no syncpoints needed after the first), one frame code for
 * every frame (key frame, stream id, full pts, size and a header checksum all coded
 * explicitly), a stream header, an info packet with the frame rate, and one syncpoint.
 * Packets end with a CRC-32 (polynomial 0x04C11DB7, MSB first, initial 0), as the demuxer
 * checks.
 */

const STARTCODE = {
  main: 0x4e4d7a561f5f04adn,
  stream: 0x4e5311405bf2f9dbn,
  syncpoint: 0x4e4be4adeeca4569n,
  info: 0x4e49ab68b596ba78n,
};
const FLAG = { key: 1, codedPts: 8, streamId: 16, sizeMsb: 32, checksum: 64 };
/** Main header flag: a stream over a pipe, without syncpoints or an index. */
const NUT_PIPE = 2;
const MSB_PTS_SHIFT = 7;

/** The raw formats wgsr writes, with the fourcc FFmpeg's raw decoder maps to each. */
export const RAW_FOURCC = {
  rgb24: [0x52, 0x47, 0x42, 24], // 'R' 'G' 'B' 24
  rgba: [0x52, 0x47, 0x42, 0x41], // 'R' 'G' 'B' 'A'
  rgb48le: [0x52, 0x47, 0x42, 48],
  rgba64le: [0x52, 0x42, 0x41, 64], // 'R' 'B' 'A' 64
} as const;
export type RawFormat = keyof typeof RAW_FOURCC;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc04C11DB7(bytes: Uint8Array, crc = 0): number {
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc;
}

/** Bytes built up by NUT's variable-length numbers (7 bits a byte, most significant first). */
class Bytes {
  private readonly parts: number[] = [];

  v(value: number | bigint): this {
    let x = BigInt(value);
    if (x < 0n) throw new Error(`NUT: ${x} is negative`);
    const groups = [Number(x & 0x7fn)];
    for (x >>= 7n; x > 0n; x >>= 7n) groups.unshift(Number(x & 0x7fn) | 0x80);
    this.parts.push(...groups);
    return this;
  }

  /** Signed: 0, 1, −1, 2, −2, … as 0, 1, 2, 3, 4 … (nutdec.c get_s). */
  s(value: number): this {
    return this.v(value > 0 ? 2 * value - 1 : -2 * value);
  }

  str(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    this.v(utf8.length);
    this.parts.push(...utf8);
    return this;
  }

  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }

  u32(value: number): this {
    return this.raw([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** startcode, forward pointer (with its own checksum when large), body, body checksum. */
function packet(startcode: bigint, body: Uint8Array): Uint8Array {
  const head = new Bytes();
  for (let shift = 56n; shift >= 0n; shift -= 8n) head.raw([Number((startcode >> shift) & 0xffn)]);
  head.v(body.length + 4);
  if (body.length + 4 > 4096) head.u32(crc04C11DB7(head.done()));
  return new Bytes().raw(head.done()).raw(body).u32(crc04C11DB7(body)).done();
}

export interface NutStream {
  format: RawFormat;
  width: number;
  height: number;
  /** The time base every pts counts in (reduced: num and den coprime, each below 2³¹). */
  timeBase: { num: number; den: number };
  /** Written as the stream's r_frame_rate, e.g. "25/1"; absent when unknown. */
  frameRate?: string;
}

/** File id, main header, stream header, frame rate info and the first syncpoint, at `firstPts`. */
export function nutHeader(stream: NutStream, firstPts: number): Uint8Array {
  const main = new Bytes()
    .v(4) // version
    .v(0) // minor version
    .v(1) // stream count
    .v(32768) // max_distance (unused in pipe mode)
    .v(1) // time base count
    .v(stream.timeBase.num)
    .v(stream.timeBase.den)
    // One frame code table entry for all 255 codes: flags, 6 fields (pts delta, size mul,
    // stream, size lsb, reserved count, count). Code 0 has size lsb 0, so size = size msb.
    .v(FLAG.key | FLAG.codedPts | FLAG.streamId | FLAG.sizeMsb | FLAG.checksum)
    .v(6)
    .s(0)
    .v(1)
    .v(0)
    .v(0)
    .v(0)
    .v(255)
    .v(0) // elision headers
    .v(NUT_PIPE)
    .done();
  const header = new Bytes()
    .v(0) // stream id
    .v(0) // class: video
    .v(4)
    .raw(RAW_FOURCC[stream.format])
    .v(0) // time base id
    .v(MSB_PTS_SHIFT)
    .v(1 << 30) // max pts distance
    .v(0) // decode delay
    .v(0) // stream flags
    .v(0) // codec-specific data
    .v(stream.width)
    .v(stream.height)
    .v(0) // sample aspect ratio unknown (0/0)
    .v(0)
    .v(0) // colourspace type
    .done();
  const parts = [new TextEncoder().encode('nut/multimedia container\0'), packet(STARTCODE.main, main), packet(STARTCODE.stream, header)];
  if (stream.frameRate) {
    // Stream 0 (id + 1), no chapter, one item: "r_frame_rate" as a UTF-8 string (value −1).
    const info = new Bytes().v(1).s(0).v(0).v(0).v(1).str('r_frame_rate').s(-1).str(stream.frameRate).done();
    parts.push(packet(STARTCODE.info, info));
  }
  parts.push(packet(STARTCODE.syncpoint, new Bytes().v(firstPts).v(0).done()));
  return concat(parts);
}

/** The header of one frame of `size` bytes at `pts` (≥ 0); the frame's bytes follow it unchanged. */
export function nutFrameHeader(pts: number, size: number): Uint8Array {
  const head = new Bytes()
    .raw([0]) // frame code 0
    .v(0) // stream id
    .v(BigInt(pts) + (1n << BigInt(MSB_PTS_SHIFT))) // a full pts, not the low bits of one
    .v(size)
    .done();
  return new Bytes().raw(head).u32(crc04C11DB7(head)).done();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
