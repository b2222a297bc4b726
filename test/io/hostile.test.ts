import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read.js';
import { decodeImage } from '../../src/io/decode.js';
import { isWgsrError } from '../../src/errors.js';
import { SIGNATURE, chunk, concat, craftPng, ihdr } from './png-craft.js';

const images = new URL('../fixtures/images/', import.meta.url).pathname;
const png = readFileSync(images + 'children-alpha.png');
const jpg = readFileSync(images + '0014.jpg');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads `bytes` from a file called `name` and returns the WgsrError it must raise. */
async function refusal(name: string, bytes: Uint8Array): Promise<{ code: string; message: string }> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  try {
    await readImage(path);
  } catch (e) {
    if (!isWgsrError(e)) throw e;
    expect(e.message).toContain(path); // every refusal names the file
    return { code: e.code, message: e.message };
  }
  throw new Error(`${name} was accepted`);
}

/** The SOF0 segment's offset in a JPEG. */
function sofOffset(bytes: Uint8Array): number {
  let at = 2;
  while (bytes[at + 1] !== 0xc0) at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
  return at;
}

describe('hostile and broken files are refused with BAD_IMAGE naming the file', () => {
  it('empty, text, and other formats', async () => {
    expect(await refusal('empty.png', new Uint8Array(0))).toEqual({ code: 'BAD_IMAGE', message: expect.stringMatching(/is empty/) });
    expect((await refusal('notes.png', Buffer.from('hello, I am text\n'))).message).toMatch(/not a PNG, JPEG or WebP/);
    expect((await refusal('anim.png', Buffer.from('GIF89a\x01\x00\x01\x00'))).message).toMatch(/GIF image; only PNG, JPEG and WebP/);
  });

  it('a PNG cut anywhere: header, inside a chunk, before IEND', async () => {
    for (const cut of [8, 20, 33 + 100, Math.floor(png.length / 2), png.length - 1]) {
      const r = await refusal(`cut-${cut}.png`, png.subarray(0, cut));
      expect(r.code).toBe('BAD_IMAGE');
      expect(r.message).toMatch(/truncated PNG/);
    }
  });

  it('a PNG whose IDAT bytes are damaged (CRC mismatch)', async () => {
    const damaged = Uint8Array.from(png);
    damaged[png.length - 200]! ^= 0xff;
    expect((await refusal('damaged.png', damaged)).message).toMatch(/corrupt PNG/);
  });

  it('a PNG header claiming 100000×100000 is refused before any pixel memory is allocated', async () => {
    const bomb = concat(SIGNATURE, ihdr(100_000, 100_000, 8, 6), chunk('IDAT', deflateSync(Buffer.alloc(10))), chunk('IEND', new Uint8Array(0)));
    const before = process.memoryUsage().arrayBuffers;
    const r = await refusal('huge.png', bomb);
    expect(r.message).toMatch(/PNG header claims 100000×100000 pixels, above the limit/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    const zero = concat(SIGNATURE, ihdr(0, 5, 8, 2), chunk('IEND', new Uint8Array(0)));
    expect((await refusal('zero.png', zero)).message).toMatch(/claims 0×5 pixels/);
  });

  it('an interlaced PNG whose data inflates far beyond its declared size (zip bomb)', async () => {
    const header = ihdr(16, 16, 8, 0, 1); // 16×16 gray interlaced: a few hundred bytes of data
    const bomb = concat(SIGNATURE, header, chunk('IDAT', deflateSync(Buffer.alloc(64 * 2 ** 20))), chunk('IEND', new Uint8Array(0)));
    expect((await refusal('bomb.png', bomb)).message).toMatch(/expands beyond the \d+ bytes its header implies/);
  });

  it('a JPEG cut short', async () => {
    for (const cut of [3, 40, Math.floor(jpg.length / 2), jpg.length - 300]) {
      const r = await refusal(`cut-${cut}.jpg`, jpg.subarray(0, cut));
      expect(r.code).toBe('BAD_IMAGE');
      expect(r.message).toMatch(/truncated|corrupt/);
    }
  });

  it('a JPEG frame header claiming 60000×60000, before decoding', async () => {
    const huge = Uint8Array.from(jpg);
    const sof = sofOffset(huge);
    huge.set([0xea, 0x60, 0xea, 0x60], sof + 5); // height, width = 60000
    expect((await refusal('huge.jpg', huge)).message).toMatch(/JPEG header claims 60000×60000 pixels/);
  });

  it('CMYK, 12-bit and lossless JPEGs, clearly', async () => {
    const sof = sofOffset(jpg);
    const cmyk = Uint8Array.from(jpg);
    cmyk[sof + 9] = 4;
    expect((await refusal('cmyk.jpg', cmyk)).message).toMatch(/CMYK JPEG is not supported.*convert it to RGB/);
    const twelve = Uint8Array.from(jpg);
    twelve[sof + 4] = 12;
    expect((await refusal('twelve.jpg', twelve)).message).toMatch(/12-bit JPEG is not supported/);
    const lossless = Uint8Array.from(jpg);
    lossless[sof + 1] = 0xc3;
    expect((await refusal('lossless.jpg', lossless)).message).toMatch(/lossless JPEG is not supported/);
  });

  it('limits can be lowered and raised', () => {
    const ost = readFileSync(images + 'OST_009.png'); // 448×640
    expect(() => decodeImage(ost, 'OST_009.png', { maxSide: 500 })).toThrow(/448×640 pixels, above the limit of 500 pixels per side/);
    expect(() => decodeImage(ost, 'OST_009.png', { maxPixels: 200_000 })).toThrow(/above the limit/);
    expect(decodeImage(ost, 'OST_009.png', { maxSide: 640, maxPixels: 448 * 640 }).width).toBe(448);
    const wide = craftPng({ width: 30_000, height: 1, colorType: 0, bitDepth: 1, pixel: () => [1] });
    expect(() => decodeImage(wide, 'wide.png')).toThrow(/30000×1 pixels, above the limit of 20000/);
    expect(decodeImage(wide, 'wide.png', { maxSide: 30_000 }).width).toBe(30_000);
  });
});
