import { createDeflate, type Deflate } from 'node:zlib';
import type { Image, RowSink } from '../image/types.js';
import { openAtomic, type AtomicFile } from './atomic.js';
import { ioError } from './fs-errors.js';
import { iccpChunk, pngChunk } from './metadata.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const COLOR_TYPE: Record<Image['channels'], number> = { 1: 0, 2: 4, 3: 2, 4: 6 };
/** IDAT chunks are cut at this size (any size is valid; this bounds what is held before a write). */
const IDAT_BYTES = 1 << 20;

type Header = Parameters<RowSink['begin']>[0];

/**
 * A PNG written as its rows arrive (a RowSink for UpscaleOptions.rows), so that a large output
 * is never held whole: each band is filtered, fed to a zlib deflate stream and written out as
 * IDAT chunks; finish() ends the stream, writes IEND and renames the temp file over the path
 * (src/io/atomic.ts: a reader never sees half a file, a failure or a signal leaves none).
 *
 * The file has the chunks encodePng (pngjs) + pngWithIcc write: IHDR, iCCP when a profile is
 * given, IDAT, IEND; the same color types and bit depths (16-bit big-endian), deflate level 6,
 * and the same per-row filter choice as pngjs, so the filtered scanlines are byte for byte
 * pngjs's (the compressed bytes differ only in how zlib was fed them).
 */
export class PngRowWriter implements RowSink {
  private file: AtomicFile | undefined;
  private deflate: Deflate | undefined;
  private compressed: Buffer[] = [];
  private compressedBytes = 0;
  private failure: Error | undefined;
  private header: Header | undefined;
  /** The previous row's raw bytes (the Up, Average and Paeth filters look at it). */
  private previous = new Uint8Array(0);
  private rowsWritten = 0;
  /** The band deflate is still compressing: awaited before the next one, so compression overlaps the next band's compute. */
  private compressing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly options: { icc?: Uint8Array } = {},
  ) {}

  async begin(header: Header): Promise<void> {
    // Called again when the image starts over: the rows so far are dropped with their file.
    await this.abort();
    this.header = header;
    this.rowsWritten = 0;
    this.previous = new Uint8Array(rowBytes(header));
    this.file = await openAtomic(this.path);
    const ihdr = new Uint8Array(13);
    const view = new DataView(ihdr.buffer);
    view.setUint32(0, header.width);
    view.setUint32(4, header.height);
    ihdr.set([header.bitDepth, COLOR_TYPE[header.channels], 0, 0, 0], 8);
    await this.write(SIGNATURE, pngChunk('IHDR', ihdr), ...(this.options.icc ? [iccpChunk(this.options.icc)] : []));
    const deflate = (this.deflate = createDeflate({ level: 6 }));
    deflate.on('data', (chunk: Buffer) => {
      this.compressed.push(chunk);
      this.compressedBytes += chunk.length;
    });
    deflate.on('error', (e) => (this.failure = e));
  }

  async rows(band: Image, y0: number): Promise<void> {
    const header = this.header;
    if (!header || !this.deflate) throw new Error('PngRowWriter: rows before begin');
    if (y0 !== this.rowsWritten || band.width !== header.width || band.channels !== header.channels || band.bitDepth !== header.bitDepth) {
      throw new Error(`PngRowWriter: got rows from ${y0} (${band.width} wide), expected row ${this.rowsWritten} (${header.width} wide)`);
    }
    const stride = rowBytes(header);
    const bpp = Math.max(1, (header.channels * header.bitDepth) / 8);
    const filtered = new Uint8Array(band.height * (stride + 1));
    let raw: Uint8Array = new Uint8Array(stride);
    for (let y = 0; y < band.height; y++) {
      const start = y * header.width * header.channels;
      const samples = band.data.subarray(start, start + header.width * header.channels);
      if (header.bitDepth === 8) raw = samples as Uint8Array;
      else for (let i = 0; i < samples.length; i++) (raw[2 * i] = samples[i]! >> 8), (raw[2 * i + 1] = samples[i]! & 255);
      filterRow(raw, this.previous, bpp, filtered.subarray(y * (stride + 1), (y + 1) * (stride + 1)));
      // The 16-bit row buffer is reused: keep a copy; an 8-bit row is a view into the band, which the caller reuses too.
      this.previous = raw.slice();
    }
    this.rowsWritten += band.height;
    // At most two bands are held: the one being compressed and this one.
    await this.compressing;
    await this.flushIdat(false);
    const deflate = this.deflate;
    this.compressing = new Promise<void>((resolve, reject) => deflate.write(filtered, (e) => (e ? reject(e) : resolve())));
    // A failure surfaces at the next rows() or finish(); until then it must not count as unhandled.
    this.compressing.catch(() => undefined);
  }

  /** Ends the deflate stream, writes the last IDAT and IEND, and puts the file in place. */
  async finish(): Promise<void> {
    const { header, deflate, file } = this;
    if (!header || !deflate || !file) throw new Error('PngRowWriter: finish before begin');
    if (this.rowsWritten !== header.height) throw new Error(`PngRowWriter: ${this.rowsWritten} of ${header.height} rows written`);
    await this.compressing;
    await new Promise<void>((resolve, reject) => {
      deflate.once('end', resolve);
      deflate.once('error', reject);
      deflate.end();
    });
    await this.flushIdat(true);
    await this.write(pngChunk('IEND', new Uint8Array(0)));
    this.file = undefined;
    this.deflate = undefined;
    await file.commit();
  }

  /** Removes the unfinished file (after a failure, or before starting over). */
  async abort(): Promise<void> {
    this.deflate?.destroy();
    this.deflate = undefined;
    this.compressing = Promise.resolve();
    this.compressed = [];
    this.compressedBytes = 0;
    const file = this.file;
    this.file = undefined;
    await file?.abort();
  }

  /** Writes the compressed bytes so far as IDAT chunks (all of them at the end, else whole chunks). */
  private async flushIdat(all: boolean): Promise<void> {
    if (this.failure) throw ioError(this.failure, `cannot write ${this.path}`);
    if (this.compressedBytes === 0 || (!all && this.compressedBytes < IDAT_BYTES)) return;
    const data = Buffer.concat(this.compressed);
    this.compressed = [];
    this.compressedBytes = 0;
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += IDAT_BYTES) chunks.push(pngChunk('IDAT', data.subarray(at, at + IDAT_BYTES)));
    await this.write(...chunks);
  }

  private async write(...parts: Uint8Array[]): Promise<void> {
    try {
      for (const part of parts) await this.file!.handle.write(part);
    } catch (e) {
      throw ioError(e, `cannot write ${this.path}`);
    }
  }
}

const rowBytes = (h: Header) => (h.width * h.channels * h.bitDepth) / 8;

/**
 * Filters one row into `out` (filter type byte, then the bytes) with the filter pngjs's
 * adaptive choice takes: the smallest sum of |difference| (before it wraps to a byte) over the
 * row; ties to the lower type.
 */
function filterRow(raw: Uint8Array, up: Uint8Array, bpp: number, out: Uint8Array): void {
  const n = raw.length;
  const sums = [0, 0, 0, 0, 0];
  for (let x = 0; x < n; x++) {
    const v = raw[x]!;
    const a = x >= bpp ? raw[x - bpp]! : 0;
    const b = up[x]!;
    const c = x >= bpp ? up[x - bpp]! : 0;
    sums[0]! += v;
    sums[1]! += Math.abs(v - a);
    sums[2]! += Math.abs(v - b);
    sums[3]! += Math.abs(v - ((a + b) >> 1));
    sums[4]! += Math.abs(v - paeth(a, b, c));
  }
  let type = 0;
  for (let t = 1; t < 5; t++) if (sums[t]! < sums[type]!) type = t;
  out[0] = type;
  for (let x = 0; x < n; x++) {
    const v = raw[x]!;
    const a = x >= bpp ? raw[x - bpp]! : 0;
    const b = up[x]!;
    const c = x >= bpp ? up[x - bpp]! : 0;
    out[x + 1] = (type === 0 ? v : type === 1 ? v - a : type === 2 ? v - b : type === 3 ? v - ((a + b) >> 1) : v - paeth(a, b, c)) & 255;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
