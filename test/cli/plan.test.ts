import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planBatch } from '../../src/cli/plan.js';
import { readImage } from '../../src/io/index.js';
import { error } from '../helpers/errors.js';
import { craftPng } from '../io/png-craft.js';
import { run } from './run.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const JPG = readFileSync(resolve(__dirname, '../fixtures/images/0014.jpg'));
const PNG = craftPng({ width: 6, height: 5, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 40, y * 50, 9] });
const RGBA = craftPng({ width: 4, height: 4, colorType: 6, bitDepth: 8, pixel: (x) => [x * 60, 0, 0, 128] });
const root = mkdtempSync(join(tmpdir(), 'wgsr-plan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function folder(files: Record<string, Uint8Array>): string {
  const dir = join(root, `c${++n}`, 'in');
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('the batch plan refuses data loss before any compute', () => {
  it('an output folder that is the input folder through a link: a.jpg would overwrite in/a.png', () => {
    const input = folder({ 'a.jpg': JPG, 'a.png': PNG });
    const alias = join(input, '..', 'alias');
    symlinkSync(input, alias);
    expect(error(() => planBatch({ input, output: alias, ext: 'png', suffix: '' })).message).toMatch(
      /alias\/a\.png \(made from .*in\/a\.jpg\) would overwrite the input .*in\/a\.png/,
    );
  });

  it('two inputs with one output name: both named', () => {
    const input = folder({ 'a.jpg': JPG, 'a.png': PNG });
    const out = join(input, '..', 'out');
    expect(error(() => planBatch({ input, output: out, ext: 'png' })).message).toMatch(/in\/a\.jpg and .*in\/a\.png would both be written to .*out\/a\.png/);
    const cased = folder({ 'b.PNG': PNG, 'b.png': PNG });
    expect(error(() => planBatch({ input: cased, output: join(cased, '..', 'out') })).message).toMatch(/b\.PNG and .*b\.png would both be written to .*out\/b\.png/);
  });

  it('where the file system folds case, photo.jpg + photo.PNG --ext png collide, and an output spelled differently is still the input', () => {
    const input = folder({ 'photo.jpg': JPG, 'Photo.PNG': PNG });
    const folds = () => true;
    expect(error(() => planBatch({ input, output: join(input, '..', 'o'), ext: 'png', foldsCase: folds })).message).toMatch(/would both be written to .*photo\.png \(this file system ignores case\)/);
    expect(error(() => planBatch({ input, output: input, ext: 'png', suffix: '', foldsCase: folds })).message).toMatch(/in\/Photo\.png would overwrite the input .*in\/Photo\.PNG/);
    // Without folding the same names are two files.
    expect(planBatch({ input, output: join(input, '..', 'o'), ext: 'png', foldsCase: () => false }).jobs).toHaveLength(2);
  });

  it('an existing output that is a hard link to an input', () => {
    const input = folder({ 'a.png': PNG });
    const out = join(input, '..', 'out');
    mkdirSync(out);
    linkSync(join(input, 'a.png'), join(out, 'a.png'));
    expect(error(() => planBatch({ input, output: out })).message).toMatch(/out\/a\.png would overwrite the input .*in\/a\.png/);
  });

  it('names: no suffix into another folder, _out into the input folder, --suffix and --ext as given', () => {
    const input = folder({ 'a.png': PNG, 'b.JPG': JPG, 'notes.txt': Buffer.from('x'), 'Thumbs.db': Buffer.from('x') });
    const out = join(input, '..', 'out');
    expect(planBatch({ input, output: out }).jobs.map((j) => j.output)).toEqual([join(out, 'a.png'), join(out, 'b.jpg')]);
    expect(planBatch({ input }).jobs.map((j) => j.output)).toEqual([join(input, 'a_out.png'), join(input, 'b_out.jpg')]);
    expect(planBatch({ input, output: out, suffix: 'x4', ext: 'webp' }).jobs.map((j) => j.output)).toEqual([join(out, 'a_x4.webp'), join(out, 'b_x4.webp')]);
    const plan = planBatch({ input, output: out });
    expect(plan.skipped.map((s) => s.path).sort()).toEqual([join(input, 'Thumbs.db'), join(input, 'notes.txt')]);
    expect(plan.folders).toEqual([out]);
  });

  it('--recursive mirrors subfolders; without it they are counted', () => {
    const input = folder({ 'a.png': PNG });
    mkdirSync(join(input, 'sub', 'deep'), { recursive: true });
    writeFileSync(join(input, 'sub', 'deep', 'b.png'), PNG);
    const out = join(input, '..', 'out');
    expect(planBatch({ input, output: out }).subfolders).toBe(1);
    const plan = planBatch({ input, output: out, recursive: true });
    expect(plan.jobs.map((j) => j.output)).toEqual([join(out, 'a.png'), join(out, 'sub', 'deep', 'b.png')]);
    expect(plan.folders.sort()).toEqual([out, join(out, 'sub', 'deep')]);
  });

  it('an output format that cannot be written, or an --ext that disagrees with -o, is refused up front', () => {
    const input = folder({ 'a.png': PNG });
    expect(error(() => planBatch({ input: join(input, 'a.png'), output: join(input, 'x.tif') })).message).toMatch(/x\.tif: cannot tell the output format from "\.tif"; use png, jpg, jpeg or webp/);
    expect(error(() => planBatch({ input: join(input, 'a.png'), output: join(input, 'x.png'), ext: 'jpg' })).message).toMatch(/--ext jpg and -o .*x\.png name different formats/);
    expect(error(() => planBatch({ input, ext: 'gif' })).message).toMatch(/--ext: cannot tell the output format from "gif"/);
  });
});

describe('wgsr upscale: the plan runs before the model and the GPU', () => {
  it('the data-loss case exits 2 with nothing written and the inputs unchanged', async () => {
    const input = folder({ 'a.jpg': JPG, 'a.png': PNG });
    const alias = join(input, '..', 'alias');
    symlinkSync(input, alias);
    const before = [sha(join(input, 'a.jpg')), sha(join(input, 'a.png'))];
    // A model that does not exist: the plan's refusal comes first, so it is never read.
    const r = await run('upscale', input, '-o', alias, '--ext', 'png', '--suffix', '', '-m', join(root, 'missing.pth'));
    expect(r.code).toBe(2);
    expect(r.stderr.join('\n')).toMatch(/would overwrite the input/);
    expect([sha(join(input, 'a.jpg')), sha(join(input, 'a.png'))]).toEqual(before);
    expect(readdirSync(input).sort()).toEqual(['a.jpg', 'a.png']);
  });

  it('RGBA into JPEG, and a new output folder, are decided before computing', async () => {
    const input = folder({ 'logo.png': RGBA });
    const alpha = await run('upscale', join(input, 'logo.png'), '-o', join(input, '..', 'new', 'logo.jpg'), '-m', join(root, 'missing.pth'));
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toEqual([`wgsr upscale: ${join(input, 'logo.png')} has an alpha channel, which JPEG cannot store; write PNG or WebP (--ext png)`]);
    expect(readdirSync(join(input, '..'))).not.toContain('new');
    const made = await run('upscale', join(input, 'logo.png'), join(input, '..', 'new', 'deeper') + '/', '-m', MODEL, '--quiet');
    expect(made.code, made.stderr.join('\n')).toBe(0);
    expect(made.stderr).toEqual([]);
    expect((await readImage(join(input, '..', 'new', 'deeper', 'logo.png'))).width).toBe(16);
  });

  it('--json: one line per image; a partly failed batch exits 3 and names what was skipped', async () => {
    const input = folder({ 'a.png': PNG, 'bad.png': Buffer.from('not an image'), 'readme.txt': Buffer.from('x') });
    const out = join(input, '..', 'out');
    const r = await run('upscale', input, '-o', out, '-m', MODEL, '--json');
    expect(r.code).toBe(3);
    const lines = r.stdout.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ input: join(input, 'a.png'), output: join(out, 'a.png'), width: 24, height: 20, model: 'model.pth' });
    expect(lines[0].ms).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ input: join(input, 'bad.png'), error: expect.stringMatching(/not a PNG, JPEG or WebP/) });
    expect(r.stderr.join('\n')).toMatch(/skipped 1 file: readme\.txt \(not a \.png, \.jpg, \.jpeg or \.webp file\)/);
  });

  it('an output name of 249 bytes is written (the temp name does not grow it past NAME_MAX)', async () => {
    const input = folder({ 'a.png': PNG });
    const name = `${'n'.repeat(245)}.png`;
    const r = await run('upscale', join(input, 'a.png'), '-o', join(input, '..', name), '-m', MODEL, '-q');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(readdirSync(join(input, '..'))).toContain(name);
  });
});
