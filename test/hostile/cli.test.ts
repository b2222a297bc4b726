import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readImage } from '../../src/io/index.js';
import { SIGNATURE, chunk, concat, craftPng, ihdr } from '../io/png-craft.js';

/**
 * The CLI against hostile inputs. Every refusal must: exit non-zero, name the file and the
 * problem in one line, print no stack trace, leave no output or temp file, and leave the input
 * bytes as they were. The tiny SRVGGNetCompact keeps each good image cheap.
 */
const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const JPG = readFileSync(resolve(__dirname, '../fixtures/images/0014.jpg'));
const root = mkdtempSync(join(tmpdir(), 'wgsr-hostile-cli-'));
afterAll(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

const rgb = (w: number, h: number) => craftPng({ width: w, height: h, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 30, y * 30, 128] });
const GOOD_PNG = rgb(8, 8);

function cmykJpeg(): Uint8Array {
  const bytes = Uint8Array.from(JPG);
  let at = 2;
  while (bytes[at + 1] !== 0xc0) at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
  bytes[at + 9] = 4; // SOF0 component count
  return bytes;
}

/** A pickle that would call posix.system if it were unpickled naively. */
const EVIL_PICKLE = Uint8Array.of(0x80, 0x02, 0x63, ...new TextEncoder().encode('posix\nsystem\n'), 0x2e);

const BAD_IMAGES: Record<string, { bytes: Uint8Array; problem: RegExp }> = {
  'truncated.png': { bytes: GOOD_PNG.subarray(0, GOOD_PNG.length - 20), problem: /truncated PNG/ },
  'empty.png': { bytes: new Uint8Array(0), problem: /is empty/ },
  'text.png': { bytes: Buffer.from('not an image at all\n'), problem: /not a PNG, JPEG or WebP/ },
  'zero-width.png': { bytes: concat(SIGNATURE, ihdr(0, 5, 8, 2), chunk('IEND', new Uint8Array(0))), problem: /claims 0×5 pixels/ },
  'zero-height.png': { bytes: concat(SIGNATURE, ihdr(5, 0, 8, 2), chunk('IEND', new Uint8Array(0))), problem: /claims 5×0 pixels/ },
  'absurd.png': {
    bytes: concat(SIGNATURE, ihdr(100_000, 100_000, 8, 6), chunk('IDAT', deflateSync(Buffer.alloc(10))), chunk('IEND', new Uint8Array(0))),
    problem: /claims 100000×100000 pixels, above the limit/,
  },
  'cmyk.jpg': { bytes: cmykJpeg(), problem: /CMYK JPEG is not supported.*convert it to RGB/ },
};

const GOOD_IMAGES: Record<string, Uint8Array> = {
  'gray-alpha-16.png': craftPng({ width: 6, height: 5, colorType: 4, bitDepth: 16, pixel: (x, y) => [x * 9000, 65535 - y * 9000] }),
  'palette.png': craftPng({ width: 7, height: 6, colorType: 3, bitDepth: 4, palette: [[255, 0, 0], [0, 255, 0], [0, 0, 255]], pixel: (x, y) => [(x + y) % 3] }),
  'interlaced.png': craftPng({ width: 9, height: 7, colorType: 2, bitDepth: 8, interlace: true, pixel: (x, y) => [x * 25, y * 30, 77] }),
  'png-named.jpg': GOOD_PNG,
};

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
let caseNo = 0;

interface Run {
  code: number;
  text: string;
}

async function cli(args: string[]): Promise<Run> {
  const lines: string[] = [];
  const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l), interactive: false };
  const code = await main(['upscale', ...args], io);
  return { code, text: lines.join('\n') };
}

/** A fresh pair of folders: `in` holding `files`, and an empty `out`. */
function folders(files: Record<string, Uint8Array>): { input: string; output: string } {
  const base = join(root, `case-${++caseNo}`);
  const input = join(base, 'in');
  const output = join(base, 'out');
  mkdirSync(input, { recursive: true });
  mkdirSync(output);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(input, name), bytes);
  return { input, output };
}

function expectCleanRefusal(run: Run, file: string, problem: RegExp): void {
  expect(run.code, run.text).not.toBe(0);
  const line = run.text.split('\n').find((l) => l.includes(file) && problem.test(l));
  expect(line, `no line names ${file} and ${problem}:\n${run.text}`).toBeDefined();
  expect(run.text).not.toMatch(/^\s+at /m);
}

/** Runs a case and checks the invariants every refusal shares: inputs unchanged, out/ empty. */
async function refuse(files: Record<string, Uint8Array>, args: (d: { input: string; output: string }) => string[], file: string, problem: RegExp) {
  const d = folders(files);
  const before = Object.keys(files).map((n) => sha(join(d.input, n)));
  const run = await cli(args(d));
  expectCleanRefusal(run, file, problem);
  expect(Object.keys(files).map((n) => sha(join(d.input, n)))).toEqual(before);
  expect(readdirSync(d.output)).toEqual([]);
  expect(readdirSync(d.input).sort()).toEqual(Object.keys(files).sort());
  return run;
}

describe('wgsr upscale refuses hostile images cleanly', () => {
  for (const [name, { bytes, problem }] of Object.entries(BAD_IMAGES)) {
    it(name, async () => {
      await refuse({ [name]: bytes }, (d) => [join(d.input, name), '-o', join(d.output, 'out.png'), '-m', MODEL], name, problem);
    });
  }
});

describe('wgsr upscale accepts unusual but valid PNGs', () => {
  it('16-bit gray+alpha, palette, interlaced, and a PNG named .jpg (sniffed)', async () => {
    const d = folders(GOOD_IMAGES);
    const run = await cli([d.input, '-o', d.output, '-m', MODEL, '--ext', 'png']);
    expect(run.code, run.text).toBe(0);
    for (const [name, bytes] of Object.entries(GOOD_IMAGES)) {
      const out = await readImage(join(d.output, name.replace(/\.\w+$/, '.png')));
      const w = new DataView(bytes.buffer, bytes.byteOffset).getUint32(16);
      expect(out.width, name).toBe(w * 4);
    }
    const grayAlpha = await readImage(join(d.output, 'gray-alpha-16.png'));
    expect([grayAlpha.channels, grayAlpha.bitDepth]).toEqual([2, 16]);
  });
});

describe('wgsr upscale refuses hostile models cleanly', () => {
  const good = readFileSync(MODEL);
  const models: Record<string, { bytes: Uint8Array; problem: RegExp }> = {
    'truncated.pth': { bytes: good.subarray(0, Math.floor(good.length / 2)), problem: /truncated|corrupt|not a|zip/i },
    'empty.pth': { bytes: new Uint8Array(0), problem: /empty/i },
    'random.pth': { bytes: Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24), problem: /not a|unknown|unrecognised|format/i },
    'evil.pth': { bytes: EVIL_PICKLE, problem: /posix\.system/ },
  };
  for (const [name, { bytes, problem }] of Object.entries(models)) {
    it(name, async () => {
      await refuse({ 'a.png': GOOD_PNG, [name]: bytes }, (d) => [join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', join(d.input, name)], name, problem);
    });
  }
});

describe('wgsr upscale refuses bad output paths cleanly', () => {
  it('output equal to input', async () => {
    const d = folders({ 'a.png': GOOD_PNG });
    const path = join(d.input, 'a.png');
    const before = sha(path);
    const run = await cli([path, '-o', path, '-m', MODEL]);
    expectCleanRefusal(run, 'a.png', /would overwrite the input/);
    expect(sha(path)).toBe(before);
    expect(readdirSync(d.input)).toEqual(['a.png']);
  });

  it('output in a missing folder: made (with its parents), as Real-ESRGAN does', async () => {
    const d = folders({ 'a.png': GOOD_PNG });
    const run = await cli([join(d.input, 'a.png'), '-o', join(d.output, 'missing', 'deeper', 'a.png'), '-m', MODEL]);
    expect(run.code, run.text).toBe(0);
    expect((await readImage(join(d.output, 'missing', 'deeper', 'a.png'))).width).toBe(32);
  });

  it('output in a folder that cannot be written', async () => {
    // root ignores file modes, so there the unwritable place is a "folder" that is a file.
    const isRoot = process.getuid?.() === 0;
    const d = folders({ 'a.png': GOOD_PNG });
    let target: string;
    if (isRoot) {
      writeFileSync(join(d.output, 'blocker.png'), GOOD_PNG);
      target = join(d.output, 'blocker.png', 'x.png');
    } else {
      target = join(d.output, 'x.png');
      chmodSync(d.output, 0o555);
    }
    const before = sha(join(d.input, 'a.png'));
    const run = await cli([join(d.input, 'a.png'), '-o', target, '-m', MODEL]);
    if (!isRoot) chmodSync(d.output, 0o755);
    expectCleanRefusal(run, isRoot ? 'blocker.png' : 'x.png', /not a (folder|directory)|ENOTDIR|permission|EACCES|cannot write|does not exist/i);
    expect(sha(join(d.input, 'a.png'))).toBe(before);
    expect(readdirSync(d.output)).toEqual(isRoot ? ['blocker.png'] : []);
  });

  it('a folder of good and bad images: every bad one named, every good one written', async () => {
    const files = { 'good-1.png': GOOD_PNG, 'good-2.png': rgb(5, 9), ...Object.fromEntries(Object.entries(BAD_IMAGES).map(([n, c]) => [n, c.bytes])) };
    const d = folders(files);
    const before = Object.keys(files).map((n) => sha(join(d.input, n)));
    const run = await cli([d.input, '-o', d.output, '-m', MODEL]);
    for (const [name, { problem }] of Object.entries(BAD_IMAGES)) expectCleanRefusal(run, name, problem);
    expect(run.text).toContain(`${Object.keys(BAD_IMAGES).length} of ${Object.keys(files).length} images failed`);
    expect(readdirSync(d.output).sort()).toEqual(['good-1.png', 'good-2.png']);
    expect((await readImage(join(d.output, 'good-2.png'))).width).toBe(20);
    expect(Object.keys(files).map((n) => sha(join(d.input, n)))).toEqual(before);
  });
});
