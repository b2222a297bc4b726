import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { HAVE_UPSCAYL, UPSCAYL_MODELS } from '../helpers/upscayl.js';

const modelsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
const model = path.join(modelsDir, 'srvgg_x4_tiny', 'model.pth');
const work = mkdtempSync(path.join(tmpdir(), 'wgsr-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
ort.env.wasm.numThreads = 1;

async function run(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), interactive: false });
  return { code, stdout, stderr };
}

describe('wgsr export', () => {
  it('--onnx -o writes a file onnxruntime loads, with the input and output names the help promises', async () => {
    const out = path.join(work, 'srvgg.onnx');
    const r = await run('export', model, '--onnx', '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(/^wrote .*srvgg\.onnx: SRVGGNetCompact x4, ONNX opset 13/);
    const session = await ort.InferenceSession.create(readFileSync(out), { executionProviders: ['wasm'] });
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    await session.release();
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!HAVE_UPSCAYL)("takes ncnn's .param (its .bin beside it): the same ONNX as the same weights in .safetensors", async () => {
    const param = path.join(UPSCAYL_MODELS, 'realesrgan-x4fast.param');
    const converted = path.join(work, 'x4fast.safetensors');
    expect((await run('convert', param, '-o', converted)).code).toBe(0);
    const fromParam = path.join(work, 'x4fast-param.onnx');
    const fromFile = path.join(work, 'x4fast-file.onnx');
    const r = await run('export', param, '--onnx', '-o', fromParam);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stdout[0]).toMatch(/: SRVGGNetCompact x4, ONNX opset 13/);
    expect((await run('export', converted, '--onnx', '-o', fromFile)).code).toBe(0);
    expect(Buffer.compare(readFileSync(fromParam), readFileSync(fromFile))).toBe(0);
  });

  it.each([
    [['export', model, '-o', 'x.onnx'], '--onnx'],
    [['export', model, '--onnx'], '-o <model.onnx>'],
    [['export', model, '--onnx', '-o', 'x.pt'], 'must be a .onnx file'],
    [['export', '--onnx', '-o', 'x.onnx'], 'takes one model file'],
    [['export', path.join(work, 'missing.pth'), '--onnx', '-o', path.join(work, 'm.onnx')], 'missing.pth'],
    [['export', model, '--onnx', '-o', path.join(work, 'no-such-dir', 'm.onnx')], 'cannot write'],
  ])('%j fails with one line naming %s', async (argv, text) => {
    const r = await run(...argv);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toContain(text);
    expect(existsSync(path.join(work, 'm.onnx'))).toBe(false);
  });
});
