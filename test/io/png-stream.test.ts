import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../src/io/png.js';
import { encodeImage } from '../../src/io/encode.js';
import { PngRowWriter } from '../../src/io/png-stream.js';
import type { Image } from '../../src/image/types.js';
import { hashSample, makeImage } from '../image/images.js';

const dir = mkdtempSync(join(tmpdir(), 'wgsr-png-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Chunk types in file order, each other than IDAT whole, and the inflated IDAT data. */
function chunks(png: Uint8Array): { types: string[]; other: Record<string, Uint8Array>; scanlines: Uint8Array } {
  const other: Record<string, Uint8Array> = {};
  const view = new DataView(png.buffer, png.byteOffset);
  const types: string[] = [];
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1');
    types.push(type);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    else other[type] = png.subarray(at, at + 12 + length);
    at += 12 + length;
  }
  return { types, other, scanlines: new Uint8Array(inflateSync(Buffer.concat(idat))) };
}

/** Writes `image` through PngRowWriter in bands of the given heights (cycled). */
async function stream(image: Image, path: string, bands: number[], icc?: Uint8Array): Promise<Uint8Array> {
  const writer = new PngRowWriter(path, { icc });
  await writer.begin(image);
  const stride = image.width * image.channels;
  for (let y = 0, k = 0; y < image.height; k++) {
    const rows = Math.min(bands[k % bands.length]!, image.height - y);
    // A reused buffer, as the pipeline's band is: the writer must not keep a view of it.
    const band = image.data.slice(y * stride, (y + rows) * stride);
    await writer.rows({ ...image, height: rows, data: band } as Image, y);
    band.fill(0);
    y += rows;
  }
  await writer.finish();
  return new Uint8Array(readFileSync(path));
}

describe('PngRowWriter: a PNG written band by band', () => {
  const icc = Uint8Array.from({ length: 700 }, (_, i) => (i * 31) & 255);
  for (const channels of [1, 2, 3, 4] as const) {
    for (const bitDepth of [8, 16] as const) {
      it(`${channels} channel(s), ${bitDepth}-bit: the same pixels and chunks as encodePng (+ iCCP)`, async () => {
        const max = bitDepth === 8 ? 255 : 65535;
        // Noise in the upper half, smooth ramps below: every filter type gets chosen somewhere.
        const image = makeImage(37, 41, channels, bitDepth, (x, y, c) => (y < 20 ? hashSample(x, y, c, max) : Math.round(((x + y + c * 9) / 120) * max)));
        const path = join(dir, `out-${channels}-${bitDepth}.png`);
        const png = await stream(image, path, [1, 7, 3, 16], icc);
        const decoded = decodePng(png, path);
        expect([decoded.width, decoded.height, decoded.channels, decoded.bitDepth]).toEqual([37, 41, channels, bitDepth]);
        expect(decoded.data).toEqual(image.data);
        const reference = encodeImage(image, 'png', { icc });
        const got = chunks(png);
        const want = chunks(reference);
        // The same chunks in the same order (IDAT may be cut into several), IHDR and iCCP byte
        // for byte, and the filtered scanlines exactly what pngjs's adaptive filter makes.
        expect(got.types.filter((t, i, all) => t !== all[i - 1])).toEqual(want.types);
        expect(want.types).toEqual(['IHDR', 'iCCP', 'IDAT', 'IEND']);
        expect(got.other).toEqual(want.other);
        expect(got.scanlines).toEqual(want.scanlines);
      });
    }
  }

  it('starting over drops the rows so far; abort leaves no file; nothing is at the path before finish', async () => {
    const image = makeImage(9, 8, 3, 8, (x, y, c) => hashSample(x, y, c, 255));
    const path = join(dir, 'restart.png');
    const writer = new PngRowWriter(path);
    await writer.begin(image);
    await writer.rows({ ...image, height: 2, data: image.data.slice(0, 2 * 27) } as Image, 0);
    expect(readdirSync(dir)).not.toContain('restart.png');
    await writer.begin(image);
    await expect(writer.rows({ ...image, height: 2, data: image.data.slice(2 * 27, 4 * 27) } as Image, 2)).rejects.toThrow(/expected row 0/);
    await writer.rows(image, 0);
    await writer.finish();
    expect(decodePng(readFileSync(path), path).data).toEqual(image.data);
    const aborted = new PngRowWriter(join(dir, 'aborted.png'));
    await aborted.begin(image);
    await aborted.rows({ ...image, height: 3, data: image.data.slice(0, 3 * 27) } as Image, 0);
    await aborted.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('.wgsr-') || f === 'aborted.png')).toEqual([]);
  });
});
