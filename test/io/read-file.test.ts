import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../../src/io/model-file.js';
import { readRegularFile, readRegularFileSync } from '../../src/io/read-file.js';
import { error, rejection } from '../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'wgsr-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const posix = process.platform !== 'win32';

describe('reading only regular files, only as far as their size', () => {
  it('a regular file and an empty one, sync and async', async () => {
    const path = join(dir, 'bytes.bin');
    writeFileSync(path, Uint8Array.of(1, 2, 3));
    expect([...readRegularFileSync(path)]).toEqual([1, 2, 3]);
    expect([...(await readRegularFile(path))]).toEqual([1, 2, 3]);
    writeFileSync(join(dir, 'empty.bin'), new Uint8Array(0));
    expect(readRegularFileSync(join(dir, 'empty.bin')).length).toBe(0);
  });

  it('a folder, a missing file, a file over the size bound', async () => {
    mkdirSync(join(dir, 'folder'));
    expect(error(() => readRegularFileSync(join(dir, 'folder'), 'the model m')).message).toBe('cannot read the model m: it is a folder, not a regular file');
    expect((await rejection(readRegularFile(join(dir, 'none.png')))).message).toMatch(/none\.png: no such file or folder$/);
    writeFileSync(join(dir, 'ten.bin'), new Uint8Array(10));
    expect(error(() => readRegularFileSync(join(dir, 'ten.bin'), 'ten', 9)).message).toBe('cannot read ten: it is 10 bytes, more than the 9 bytes wgsr reads from one file');
  });

  it.runIf(posix)('/dev/zero and a link to it are refused at once, naming the device', async () => {
    const link = join(dir, 'z.png');
    symlinkSync('/dev/zero', link);
    expect((await rejection(readRegularFile(link))).message).toBe(`cannot read ${link}: it is a character device (/dev/zero), not a regular file`);
    expect(error(() => readModelFile('/dev/zero')).message).toBe('cannot read the model /dev/zero: it is a character device, not a regular file');
  });

  it.runIf(posix)('a FIFO is refused without waiting for a writer', async () => {
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    expect((await rejection(readRegularFile(fifo))).message).toBe(`cannot read ${fifo}: it is a named pipe (FIFO), not a regular file`);
    expect(error(() => readRegularFileSync(fifo)).code).toBe('IO');
    expect(performance.now() - started).toBeLessThan(1000);
  }, 5000);
});
