import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/index.js';
import { craftPng } from '../io/png-craft.js';
import { run } from './run.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const RRDB = resolve(__dirname, '../fixtures/models/realesrgan_x4_tiny/model.pth');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-small-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('error lines say each thing once', () => {
  it('an unknown option names the command once', async () => {
    const r = await run('upscale', 'a.png', '-o', 'b.png', '--bogus');
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]!.match(/wgsr upscale:/g)).toHaveLength(1);
  });

  it('an empty number is refused, not read as 0 ("automatic" for --tile)', async () => {
    const r = await run('upscale', 'a.png', '-o', 'b.png', '--tile', '');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toEqual(['wgsr upscale: --tile needs a value: a whole number ≥ 0, got an empty string']);
  });
});

describe('image limits from the command line', () => {
  it('a 1×20001 image is refused with the flag that raises the limit, and accepted with it', async () => {
    const tall = join(dir, 'tall.png');
    writeFileSync(tall, craftPng({ width: 1, height: 20001, colorType: 0, bitDepth: 8, pixel: (_, y) => [y % 256] }));
    const refused = await run('upscale', tall, '-o', join(dir, 'refused.png'), '-m', MODEL);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.join('\n')).toMatch(/tall\.png: PNG header claims 1×20001 pixels, above the limit of 20000 pixels per side .*--max-side/);
    expect(readdirSync(dir)).not.toContain('refused.png');
    const accepted = await run('upscale', tall, '-o', join(dir, 'tall-x4.png'), '-m', MODEL, '--max-side', '20001');
    expect(accepted.code, accepted.stderr.join('\n')).toBe(0);
    const out = await readImage(join(dir, 'tall-x4.png'), { maxSide: 80004 });
    expect([out.width, out.height]).toEqual([4, 80004]);
  });
});

describe('wgsr bench --size', () => {
  it('a size no adapter can hold is a clean refusal naming the largest that fits, not an unexpected error', async () => {
    const r = await run('bench', '-m', RRDB, '--size', '100000', '--runs', '1');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(70);
    expect(r.stderr.at(-1)).toMatch(/^wgsr bench: --size 100000 needs a \d+-byte activation buffer, but this adapter binds at most \d+ bytes; the largest --size that fits is about \d+$/);
  });
});
