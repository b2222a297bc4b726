import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUpscaler as createCoreUpscaler } from '../../src/upscaler.js';
import { loadModel } from '../../src/models/load.js';
import { defaultModel, defaultModelPath } from '../../src/runtime/default-model.js';
import { readModelPath } from '../../src/runtime/model-path.js';
import { createUpscaler } from '../../src/runtime/node-upscaler.js';
import { HAVE_UPSCAYL, UPSCAYL_MODELS } from '../helpers/upscayl.js';

const dir = mkdtempSync(join(tmpdir(), 'wgsr-model-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(bytes));
  return path;
}

describe('model files by path (wgsr/node)', () => {
  it('pairs x.param with x.bin, whichever half is named, in the extension’s case', () => {
    file('pair.param', [1]);
    file('pair.bin', [2, 2]);
    const both = { param: new Uint8Array([1]), bin: new Uint8Array([2, 2]) };
    expect(readModelPath(join(dir, 'pair.param'))).toEqual(both);
    expect(readModelPath(join(dir, 'pair.bin'))).toEqual(both);
    file('UP.PARAM', [3]);
    file('UP.BIN', [4]);
    expect(readModelPath(join(dir, 'UP.PARAM'))).toEqual({ param: new Uint8Array([3]), bin: new Uint8Array([4]) });
  });

  it('reads a single file as it is, a lone .bin included', () => {
    expect(readModelPath(file('alone.bin', [5, 6]))).toEqual(new Uint8Array([5, 6]));
    expect(readModelPath(file('model.pth', [7]))).toEqual(new Uint8Array([7]));
  });

  it('names the missing .bin of a .param, and a missing file', () => {
    const param = file('orphan.param', [1]);
    expect(() => readModelPath(param)).toThrow(expect.objectContaining({ code: 'IO', message: expect.stringContaining(`${join(dir, 'orphan.bin')}, which does not exist`) }));
    expect(() => readModelPath(join(dir, 'nope.pth'))).toThrow(expect.objectContaining({ code: 'IO', message: expect.stringContaining('nope.pth: no such file') }));
  });

  it.skipIf(!HAVE_UPSCAYL)('loads Real-ESRGAN’s ncnn pair from the .param path', () => {
    const { info } = loadModel(readModelPath(resolve(UPSCAYL_MODELS, 'realesrgan-x4fast.param')));
    expect(info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4 });
  });

  it('defaultModel() is the shipped file', () => {
    expect(defaultModel()).toEqual(new Uint8Array(readFileSync(defaultModelPath())));
    expect(loadModel(defaultModel()).info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4 });
  });
});

describe('createUpscaler with a path', () => {
  it('the core refuses a string, pointing to wgsr/node', async () => {
    await expect(createCoreUpscaler('model.pth' as never)).rejects.toThrow(/use createUpscaler from "wgsr\/node", which takes a path/);
  });

  it('wgsr/node names the file in its errors', async () => {
    const garbage = file('garbage.pth', [...new TextEncoder().encode('not a model at all')]);
    await expect(createUpscaler(garbage)).rejects.toThrow(expect.objectContaining({ code: 'BAD_MODEL', message: expect.stringContaining('garbage.pth') }));
    await expect(createUpscaler(join(dir, 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors: no such file/);
  });

  it('builds the bundled model from its path (GPU)', async () => {
    const up = await createUpscaler(defaultModelPath());
    try {
      expect(up.info).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4, format: 'safetensors' });
    } finally {
      up.destroy();
    }
  });
});
