import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../src/image/types.js';
import { writeImage } from '../../src/io/write.js';
import { openTrainingSet, trainingFiles } from '../../src/runtime/node-train-data/index.js';
import { Rng } from '../../src/rng.js';
import { rejection } from '../helpers/errors.js';

function picture(width: number, height: number, channels: Image['channels'], bitDepth: 8 | 16 = 8): Image {
  const rng = Rng.derive(width * height + channels);
  const n = width * height * channels;
  const max = bitDepth === 8 ? 255 : 65535;
  const data = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.int(0, max);
  return { width, height, channels, bitDepth, data };
}

let root: string;
const dir = (...parts: string[]) => join(root, ...parts);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wgsr-train-data-'));
  for (const d of ['hr', 'DIV2K_train_HR', 'DIV2K_train_LR_bicubic/X4', 'same_hr', 'same_lr', 'bad_lr', 'empty']) mkdirSync(dir(d), { recursive: true });
  // HR-only: PNG RGB, gray JPEG, WebP, 16-bit gray+alpha PNG, and a file that is not an image.
  await writeImage(dir('hr', 'a.png'), picture(40, 36, 3));
  await writeImage(dir('hr', 'b.jpg'), picture(44, 32, 1));
  await writeImage(dir('hr', 'c.webp'), picture(36, 36, 3));
  await writeImage(dir('hr', 'd.png'), picture(33, 41, 2, 16));
  // DIV2K: 0001.png ↔ 0001x4.png, HR not a multiple of 4 (MATLAB's LR size is the ceiling).
  await writeImage(dir('DIV2K_train_HR', '0001.png'), picture(42, 37, 3));
  await writeImage(dir('DIV2K_train_LR_bicubic/X4', '0001x4.png'), picture(11, 10, 3));
  await writeImage(dir('DIV2K_train_HR', '0002.png'), picture(40, 40, 3));
  await writeImage(dir('DIV2K_train_LR_bicubic/X4', '0002x4.png'), picture(10, 10, 3));
  // Same names; and an LR folder whose second image has the wrong size.
  await writeImage(dir('same_hr', 'x.png'), picture(32, 32, 3));
  await writeImage(dir('same_lr', 'x.png'), picture(8, 8, 3));
  await writeImage(dir('bad_lr', 'x.png'), picture(16, 16, 3));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training set from folders', () => {
  it('reads a folder of HR images (PNG, JPEG, WebP; gray, 16-bit, alpha) and makes bicubic LR', async () => {
    const set = await openTrainingSet({ hr: dir('hr'), scale: 4, patch: 8, degrade: 'bicubic' });
    expect(set.files.map((f) => f.name)).toEqual(['a.png', 'b.jpg', 'c.webp', 'd.png']);
    expect(set.inMemory).toBe(true);
    const d = await set.source.get(3);
    expect([d.hr.width, d.hr.height, d.hr.channels, d.hr.bitDepth]).toEqual([32, 40, 3, 16]);
    expect([d.lr!.width, d.lr!.height, d.lrWidth]).toEqual([8, 10, 8]);
    const b = await set.source.get(1);
    expect(b.hr.channels).toBe(3);
    // Bytes held: HR (cropped to the LR grid) and LR, 3 channels, 2 bytes a sample for d.png.
    expect(set.bytes).toBe((40 * 36 + 10 * 9) * 3 + (44 * 32 + 11 * 8) * 3 + (36 * 36 + 9 * 9) * 3 + (32 * 40 + 8 * 10) * 6);
  });

  it("pairs DIV2K's folders (0001.png ↔ 0001x4.png) and same-name folders", async () => {
    expect(trainingFiles(dir('DIV2K_train_HR'), dir('DIV2K_train_LR_bicubic/X4')).map((f) => [f.name, f.lrPath?.slice(root.length)])).toEqual([
      ['0001.png', '/DIV2K_train_LR_bicubic/X4/0001x4.png'],
      ['0002.png', '/DIV2K_train_LR_bicubic/X4/0002x4.png'],
    ]);
    const div2k = await openTrainingSet({ hr: dir('DIV2K_train_HR'), lr: dir('DIV2K_train_LR_bicubic/X4'), scale: 4, patch: 8, degrade: 'none' });
    const first = await div2k.source.get(0);
    expect([first.hr.width, first.hr.height, first.lr!.width, first.lr!.height]).toEqual([40, 36, 10, 9]);
    const same = await openTrainingSet({ hr: dir('same_hr'), lr: dir('same_lr'), scale: 4, patch: 8, degrade: 'none' });
    expect(same.files[0]!.lrPath).toBe(dir('same_lr', 'x.png'));
  });

  it('checks every pair before decoding and names the file that does not fit', async () => {
    const bad = await rejection(openTrainingSet({ hr: dir('same_hr'), lr: dir('bad_lr'), scale: 4, patch: 4, degrade: 'none' }));
    expect(bad.message).toMatch(/x\.png: the HR image is 32×32 and its LR image 16×16, which is not ×4/);
    const small = await rejection(openTrainingSet({ hr: dir('hr'), scale: 4, patch: 10, degrade: 'realesrgan' }));
    expect(small.message).toMatch(/a\.png: 40×36 is too small for 10×10 LR patches at ×4/);
    const missing = await rejection(openTrainingSet({ hr: dir('hr'), lr: dir('same_lr'), scale: 4, patch: 4, degrade: 'none' }));
    expect(missing.message).toMatch(/no partner in the LR folder .* for a\.png, b\.jpg, c\.webp, d\.png/);
  });

  it('refuses missing and empty folders and modes that contradict the folders', async () => {
    expect((await rejection(openTrainingSet({ hr: dir('nowhere'), scale: 4, patch: 4, degrade: 'bicubic' }))).message).toMatch(/the HR folder .*nowhere: no such file or folder/);
    expect((await rejection(openTrainingSet({ hr: dir('empty'), scale: 4, patch: 4, degrade: 'bicubic' }))).message).toMatch(/no \.png, \.jpg, \.jpeg or \.webp images/);
    expect((await rejection(openTrainingSet({ hr: dir('hr'), scale: 4, patch: 4, degrade: 'none' }))).message).toMatch(/degrade none trains on the LR images you give/);
    expect((await rejection(openTrainingSet({ hr: dir('same_hr'), lr: dir('same_lr'), scale: 4, patch: 4, degrade: 'bicubic' }))).message).toMatch(/an LR folder was given too/);
  });

  it('past its memory budget, decodes on demand into a bounded cache and says so', async () => {
    const notes: string[] = [];
    const set = await openTrainingSet({ hr: dir('hr'), scale: 4, patch: 8, degrade: 'realesrgan', memoryBudget: 10_000, onNote: (n) => notes.push(n) });
    expect(set.inMemory).toBe(false);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/takes 19\.6 KB decoded, more than the 9\.8 KB memory budget: images are decoded again/);
    expect((await set.source.get(2)).hr.width).toBe(36);
  });
});
