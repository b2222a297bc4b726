import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeImage, formatFromExtension } from '../../src/io/write.js';
import { readImage } from '../../src/io/read.js';
import { rejection } from '../helpers/errors.js';
import { hashSample, makeImage } from '../image/images.js';

const dir = mkdtempSync(join(tmpdir(), 'wgsr-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const temps = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.tmp'));
const image = makeImage(9, 5, 4, 16, (x, y, c) => hashSample(x, y, c, 65535));

describe('writeImage', () => {
  it('writes PNG by extension (any case) and reads back the same pixels, leaving no temp file', async () => {
    const path = join(dir, 'out.PNG');
    await writeImage(path, image);
    const back = await readImage(path);
    expect([back.channels, back.bitDepth]).toEqual([4, 16]);
    expect(Array.from(back.data)).toEqual(Array.from(image.data));
    expect(temps(dir)).toEqual([]);
  });

  it('writes JPEG for .jpg and .jpeg, replacing an existing file', async () => {
    const rgb = makeImage(16, 16, 3, 8, (x, y) => (x * 16 + y) % 256);
    const path = join(dir, 'photo.jpeg');
    writeFileSync(path, 'old contents');
    await writeImage(path, rgb, { quality: 90 });
    expect(readFileSync(path).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(formatFromExtension('a/b.JPG')).toBe('jpeg');
  });

  it('refuses unknown extensions before writing anything', async () => {
    const r = await rejection(writeImage(join(dir, 'out.tif'), image));
    expect(r.code).toBe('BAD_ARGUMENT');
    expect(r.message).toMatch(/out\.tif.*use png, jpg, jpeg or webp/);
    expect(readdirSync(dir)).not.toContain('out.tif');
  });

  it('refuses to write over the input image, also through a link', async () => {
    const input = join(dir, 'input.png');
    await writeImage(input, image);
    const before = readFileSync(input);
    const other = makeImage(9, 5, 4, 16, () => 1);
    expect((await rejection(writeImage(input, other, { inputPath: input }))).message).toMatch(/refusing to write over the input/);
    const link = join(dir, 'link.png');
    symlinkSync(input, link);
    expect((await rejection(writeImage(link, other, { inputPath: input }))).code).toBe('IO');
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it('a failed write leaves no temp file and no partial output', async () => {
    // The target is a folder: the temp file is written, the rename fails, the temp must go.
    const folder = join(dir, 'taken.png');
    mkdirSync(folder);
    const r = await rejection(writeImage(folder, image));
    expect(r.code).toBe('IO');
    expect(r.message).toMatch(/cannot write .*taken\.png/);
    expect(temps(dir)).toEqual([]);
    // A missing folder fails before any file exists.
    expect((await rejection(writeImage(join(dir, 'missing', 'x.png'), image))).message).toMatch(/no such file or folder/);
  });

  it('refuses an invalid image with BAD_IMAGE naming the output', async () => {
    const broken = { ...image, data: new Uint16Array(3) };
    const r = await rejection(writeImage(join(dir, 'broken.png'), broken));
    expect(r.code).toBe('BAD_IMAGE');
    expect(r.message).toMatch(/broken\.png: data has 3 values/);
    expect(temps(dir)).toEqual([]);
  });
});
