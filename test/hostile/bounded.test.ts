import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/index.js';
import { craftPng } from '../io/png-craft.js';
import { cliBundle, runBounded, type Bounded } from './run-cli.js';

/**
 * The real command line, in a child process with a time and a memory bound, against files that
 * used to hang it or eat memory without end. Every case must end inside the bounds, exit
 * non-zero, name the file and the problem on stderr without a stack trace, write nothing, and
 * leave its inputs as they were.
 */
const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const posix = process.platform !== 'win32';
const root = mkdtempSync(join(tmpdir(), 'wgsr-bounded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => cliBundle(), 60_000);

/** A JPEG as a real encoder writes it (jpeg-js, 16×16), whose frame header then claims 20000×20000. */
function jpegBomb(): Uint8Array {
  const bytes = Uint8Array.from(jpeg.encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(100) }, 90).data);
  let at = 2;
  while (bytes[at + 1] !== 0xc0) at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
  bytes.set([20000 >> 8, 20000 & 255, 20000 >> 8, 20000 & 255], at + 5);
  return bytes;
}

const GOOD = craftPng({ width: 6, height: 5, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 40, y * 50, 9] });
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
let caseNo = 0;

/** A fresh case folder: in/ with `files` (bytes, or a function that makes the entry), out/ empty. */
function folders(files: Record<string, Uint8Array | ((path: string) => void)>) {
  const base = join(root, `case-${++caseNo}`);
  const input = join(base, 'in');
  const output = join(base, 'out');
  mkdirSync(input, { recursive: true });
  mkdirSync(output);
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === 'function') content(join(input, name));
    else writeFileSync(join(input, name), content);
  }
  const regular = Object.entries(files).filter(([, c]) => typeof c !== 'function').map(([n]) => n);
  const before = regular.map((n) => sha(join(input, n)));
  return {
    input,
    output,
    /** Inputs byte-identical, and nothing in out/ (no result, no temp file). */
    unchanged: () => {
      expect(regular.map((n) => sha(join(input, n)))).toEqual(before);
      expect(readdirSync(output)).toEqual([]);
      expect(readdirSync(input).sort()).toEqual(Object.keys(files).sort());
    },
  };
}

function expectRefusal(run: Bounded, file: string, problem: RegExp, bounds: { seconds: number; mib: number }): void {
  const why = `${run.killed ? `killed for ${run.killed} after ${run.ms.toFixed(0)} ms, ${run.peakMiB} MiB: ` : ''}exit ${run.code}\n${run.stderr}`;
  expect(run.killed, why).toBeUndefined();
  expect(run.code, why).not.toBe(0);
  expect(run.ms, why).toBeLessThan(bounds.seconds * 1000);
  expect(run.peakMiB, why).toBeLessThan(bounds.mib);
  const line = run.stderr.split('\n').find((l) => l.includes(file) && problem.test(l));
  expect(line, `no line names ${file} and ${problem}:\n${run.stderr}`).toBeDefined();
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

// Starting the CLI takes about a second and 100–300 MiB (Node, Dawn, lavapipe); the cases used
// to take minutes and gigabytes, or never end.
const BOUNDS = { seconds: 30, mib: 1024 };

describe('hostile files under a time and memory bound', () => {
  it('a 20000×20000 JPEG header on 700 bytes of data', async () => {
    const d = folders({ 'bomb.jpg': jpegBomb() });
    const run = await runBounded(['upscale', join(d.input, 'bomb.jpg'), '-o', join(d.output, 'bomb.png'), '-m', MODEL], BOUNDS);
    expectRefusal(run, 'bomb.jpg', /compressed image data is \d+ bytes, but 20000×20000 pixels need at least/, BOUNDS);
    d.unchanged();
  });

  it.runIf(posix)('an image that is a link to /dev/zero', async () => {
    const d = folders({ 'z.png': (p) => symlinkSync('/dev/zero', p) });
    const run = await runBounded(['upscale', join(d.input, 'z.png'), '-o', join(d.output, 'o.png'), '-m', MODEL], BOUNDS);
    expectRefusal(run, 'z.png', /character device \(\/dev\/zero\), not a regular file/, BOUNDS);
    d.unchanged();
  });

  it.runIf(posix)('a model that is /dev/zero, for upscale and for info', async () => {
    const d = folders({ 'a.png': GOOD });
    const run = await runBounded(['upscale', join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', '/dev/zero'], BOUNDS);
    expectRefusal(run, '/dev/zero', /cannot read the model \/dev\/zero: it is a character device, not a regular file/, BOUNDS);
    d.unchanged();
    const info = await runBounded(['info', '/dev/zero'], BOUNDS);
    expectRefusal(info, '/dev/zero', /character device, not a regular file/, BOUNDS);
  });

  it.runIf(posix)('a FIFO named .png in a batch folder, and a FIFO as the model', async () => {
    const fifo = (p: string) => execFileSync('mkfifo', [p]);
    const d = folders({ 'a.png': GOOD, 'pipe.png': fifo, 'pipe.pth': fifo });
    const model = await runBounded(['upscale', join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', join(d.input, 'pipe.pth')], BOUNDS);
    expectRefusal(model, 'pipe.pth', /named pipe \(FIFO\), not a regular file/, BOUNDS);
    d.unchanged();
    const batch = await runBounded(['upscale', d.input, '-o', d.output, '-m', MODEL], BOUNDS);
    expectRefusal(batch, 'pipe.png', /named pipe \(FIFO\), not a regular file/, BOUNDS);
    expect(readdirSync(d.output)).toEqual(['a.png']); // the good image is still written
  });

  // ffprobe on a FIFO waited for a writer until its time limit, after the model had been read
  // and the GPU started; a device it read without end. Refused first now, before any of that.
  it.runIf(posix)('wgsr video: a FIFO, a link to /dev/zero, and /dev/zero itself as the input video', async () => {
    const d = folders({ 'pipe.mp4': (p) => execFileSync('mkfifo', [p]), 'z.mp4': (p) => symlinkSync('/dev/zero', p) });
    const fast = { seconds: 10, mib: 512 };
    for (const [input, problem] of [
      [join(d.input, 'pipe.mp4'), /named pipe \(FIFO\), not a regular file/],
      [join(d.input, 'z.mp4'), /character device \(\/dev\/zero\), not a regular file/],
      ['/dev/zero', /character device, not a regular file/],
    ] as const) {
      const run = await runBounded(['video', input, '-o', join(d.output, 'o.mp4'), '-m', MODEL], fast);
      expectRefusal(run, input, problem, fast);
      expect(run.stderr, 'refused before the model and the GPU').not.toMatch(/wgsr: (model|adapter)/);
    }
    d.unchanged();
  });
});

describe('options that used to crash the process', () => {
  it('a pre-pad far longer than the image, small tiles: refused at once, no heap exhaustion', async () => {
    for (const prePad of ['50000', '99999999999']) {
      const d = folders({ 'a.png': GOOD });
      const run = await runBounded(['upscale', join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', MODEL, '--tile', '8', '--pre-pad', prePad], BOUNDS);
      expectRefusal(run, prePad, /pre-pad \d+ is more than twice the longest side of this 6×5 image/, BOUNDS);
      d.unchanged();
    }
  });
});

describe('the command line around the work', () => {
  it("a run's stderr has no Dawn 'artificially reduced' lines, and the image is written", async () => {
    const d = folders({ 'a.png': GOOD });
    const run = await runBounded(['upscale', join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', MODEL], BOUNDS);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/artificially reduced/);
    expect(run.stderr).toMatch(/wgsr: model model\.pth/);
    expect(readdirSync(d.output)).toEqual(['a.png']);
  });

  it.runIf(posix)('SIGTERM and SIGHUP during a batch: exit 143 / 129, no temp file, nothing half-written', async () => {
    const big = craftPng({ width: 96, height: 96, colorType: 2, bitDepth: 8, pixel: (x, y) => [x, y, (x * y) % 256] });
    for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const d = folders({ 'a.png': big, 'b.png': big, 'c.png': big });
      const run = await runBounded(['upscale', d.input, '-o', d.output, '-m', MODEL, '--tile', '16'], {
        ...BOUNDS,
        interrupt: { when: /a\.png: \d+\/\d+ tiles/, signal },
      });
      expect(run.code, run.stderr).toBe(code);
      expect(run.stderr).toMatch(/cancelled \(.* not written\)/);
      expect(readdirSync(d.output).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      for (const name of readdirSync(d.output)) expect((await readImage(join(d.output, name))).width).toBe(384); // whole files only
    }
  });

  // A 1024×1024 PNG output is streamed (cli/write-output.ts): by the 10th of 64 tiles its first
  // band is in the temp file. The signal must remove that file too, and write nothing.
  it.runIf(posix)('SIGTERM while a streamed PNG is half written: exit 143, no temp file, no output', async () => {
    // 16×16 tiles: progress lines come at most once a second, so the image must take a few seconds
    // even on a fast adapter; the signal goes once a line shows a done count between the first
    // finished band (16 tiles) and the last tile, so rows have been streamed and more are to come.
    const big = craftPng({ width: 512, height: 512, colorType: 2, bitDepth: 8, pixel: (x, y) => [x % 256, y % 256, (x * y) % 256] });
    const d = folders({ 'a.png': big });
    const run = await runBounded(['upscale', join(d.input, 'a.png'), '-o', join(d.output, 'a.png'), '-m', MODEL, '--tile', '32'], {
      ...BOUNDS,
      interrupt: { when: /a\.png: (1[6-9]|[2-9]\d|1\d\d|2[0-4]\d|25[0-5])\/256 tiles/, signal: 'SIGTERM' },
    });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toMatch(/cancelled \(.* not written\)/);
    d.unchanged();
  });
});
