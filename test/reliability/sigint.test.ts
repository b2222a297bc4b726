import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodePng } from '../../src/io/png.js';
import { craftPng } from '../io/png-craft.js';

/**
 * Ctrl-C during `wgsr upscale`: the real binary (bin/wgsr.js over dist/, which CI builds before
 * the tests) gets SIGINT after its first progress line and must stop between tiles with exit
 * code 130, say "cancelled", and leave neither the output nor a temp file.
 */
const repo = resolve(__dirname, '../..');
const MODEL = resolve(repo, 'test/fixtures/models/realesrgan_x4_tiny/model.pth');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-sigint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `wgsr ARGS` and sends SIGINT once its progress shows a tile of 64 done; resolves at its exit. */
async function interruptedAfterFirstTiles(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; sent: boolean }> {
  const child = spawn(process.execPath, [resolve(repo, 'bin/wgsr.js'), ...args], {
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /\d+\/64 tiles/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  return { code, stdout, stderr, sent };
}

it('SIGINT after the first progress line: exit 130, "cancelled", no output file', async () => {
  expect(existsSync(resolve(repo, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
  const input = join(dir, 'in.png');
  // 128×128 in 16-pixel tiles: 64 tiles of the RRDBNet fixture, seconds of work on lavapipe.
  writeFileSync(input, craftPng({ width: 128, height: 128, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 2, y * 2, (x ^ y) & 255] }));
  const output = join(dir, 'out.png');
  const { code, stderr, sent } = await interruptedAfterFirstTiles(['upscale', input, '-o', output, '-m', MODEL, '--tile', '16']);
  expect(sent, stderr).toBe(true);
  expect(code, stderr).toBe(130);
  expect(stderr).toMatch(/wgsr upscale: cancelled/);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(readdirSync(dir)).toEqual(['in.png']);
}, 120_000);

it('SIGINT during `wgsr eval`: exit 130, "cancelled", no scores, the --save-lr images whole', async () => {
  expect(existsSync(resolve(repo, 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
  const hrDir = join(dir, 'eval', 'hr');
  const saved = join(dir, 'eval', 'lr');
  mkdirSync(hrDir, { recursive: true });
  // 512×512 HR → 128×128 LR in 16-pixel tiles: 64 tiles per image, two images.
  for (const name of ['a.png', 'b.png']) writeFileSync(join(hrDir, name), craftPng({ width: 512, height: 512, colorType: 2, bitDepth: 8, pixel: (x, y) => [x & 255, y & 255, (x ^ y) & 255] }));
  const { code, stdout, stderr, sent } = await interruptedAfterFirstTiles(['eval', '--hr', hrDir, '-m', MODEL, '--tile', '16', '--save-lr', saved]);
  expect(sent, stderr).toBe(true);
  expect(code, stderr).toBe(130);
  expect(stderr).toMatch(/wgsr eval: cancelled; no scores printed/);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stdout).toBe('');
  // The first image's LR was written (whole) before its tiles ran; nothing else, no temp file.
  expect(readdirSync(saved)).toEqual(['a.png']);
  expect(decodePng(readFileSync(join(saved, 'a.png')), 'a.png')).toMatchObject({ width: 128, height: 128 });
}, 120_000);
