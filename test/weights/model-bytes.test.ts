import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/models/load.js';
import { createUpscaler } from '../../src/upscaler.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { error } from '../helpers/errors.js';
import { testDevice } from '../helpers/gpu.js';
import { tinySRVGG } from './ncnn-models.js';

/** What the core accepts as a model: any bytes of one file, or ncnn's { param, bin } pair. */
const pth = readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth'));

describe('model bytes', () => {
  it('takes a Uint8Array, an ArrayBuffer or another typed array view of one file alike', () => {
    const copy = new Uint8Array(pth);
    const views = [copy, copy.buffer, new DataView(copy.buffer)];
    const infos = views.map((v) => loadModel(v, { source: 'm.pth' }).info);
    expect(new Set(infos.map((i) => JSON.stringify(i))).size).toBe(1);
    expect(infos[0]).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4 });
  });

  it('takes an ncnn { param, bin } pair, and gives the same network as the same weights in another format', async () => {
    const tiny = tinySRVGG();
    const ncnn = loadModel({ param: tiny.param, bin: tiny.bin }, { source: 'tiny.param' });
    expect(ncnn.weights.format).toBe('ncnn');
    const safetensors = loadModel(writeSafetensors(ncnn.weights.stateDict), { source: 'tiny.safetensors' });
    expect(safetensors.info).toEqual(ncnn.info);

    const { device } = await testDevice();
    const input = { shape: [1, 3, 5, 6] as const, data: Float32Array.from({ length: 90 }, (_, i) => ((i * 37) % 11) / 10) };
    const a = await createUpscaler({ param: tiny.param, bin: tiny.bin }, { device, source: 'tiny.param' });
    const b = await createUpscaler(writeSafetensors(ncnn.weights.stateDict), { device });
    try {
      expect(a.info.format).toBe('ncnn');
      expect(Buffer.from((await a.forward(input)).data.buffer).equals(Buffer.from((await b.forward(input)).data.buffer))).toBe(true);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it.each([
    ['a file name', 'model.pth', /must be its bytes .*got the string "model\.pth" \(a file name\? read the file first, or use createUpscaler from "wgsr\/node"/],
    ['a number', 5, /must be its bytes .*got number/],
    ['null', null, /must be its bytes .*got null/],
    ['an ncnn pair with a missing .bin', { param: new Uint8Array(4), bin: undefined }, /the \.bin of the ncnn model must be its bytes .*got undefined/],
  ])('refuses %s with a message that says what to pass', (_, value, message) => {
    const e = error(() => loadModel(value as never));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toMatch(message);
  });

  it('an ncnn .param alone says its weights are in the .bin beside it', () => {
    const e = error(() => loadModel(tinySRVGG().param, { source: 'x4.param' }));
    expect(e.message).toMatch(/^x4\.param: this is an ncnn \.param file .* the \.bin beside it/);
  });
});
