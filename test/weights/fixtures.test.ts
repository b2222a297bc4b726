import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadWeights } from '../../src/weights/load.js';
import { countParameters } from '../../src/weights/state-dict.js';
import type { ModelInfo } from '../../src/models/registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const localModels = path.join(repoRoot, 'test/fixtures/models');
const sharedModels = path.resolve(repoRoot, '../shared/fixtures/models');

interface Meta {
  name: string;
  arch: string;
  key_layout: string;
  scale: number;
  num_feat: number;
  num_block: number | null;
  num_conv: number | null;
  n_resblocks: number | null;
  num_residual: number | null;
  num_grow_ch: number | null;
  res_scale: number | null;
  rgb_range: number | null;
  rgb_mean: number[] | null;
  rgb_std: number[] | null;
  in_ch: number;
  out_ch: number;
  wrapper_key: string | null;
  serialization: 'zip' | 'legacy';
  dtype: string;
  param_count: number;
  state_dict_num_keys: number;
  state_dict_first_keys: string[];
}

const SMALL = ['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny', 'srvgg_x4_tiny', 'edsr_x2_tiny', 'edsr_x4_tiny', 'srgan_x4_tiny'];
const FULL = path.join(sharedModels, 'realesrgan_x4_full');

/** The sizes meta.json states for each architecture, in our ModelInfo names. */
function expectedSizes(meta: Meta): Record<string, unknown> {
  const common = { scale: meta.scale, inChannels: meta.in_ch, outChannels: meta.out_ch, params: meta.param_count };
  switch (meta.arch) {
    case 'RRDBNet':
      return {
        ...common,
        arch: 'RRDBNet',
        layout: meta.key_layout === 'esrgan_2018' ? 'esrgan2018' : 'basicsr',
        numFeat: meta.num_feat,
        numBlock: meta.num_block,
        numGrowCh: meta.num_grow_ch,
      };
    case 'SRVGGNetCompact':
      return { ...common, arch: 'SRVGGNetCompact', numFeat: meta.num_feat, numConv: meta.num_conv, preluPerChannel: true };
    case 'EDSR':
      return { ...common, arch: 'EDSR', numFeat: meta.num_feat, numResBlocks: meta.n_resblocks, resScale: meta.res_scale, rgbRange: meta.rgb_range };
    case 'SRGANGenerator':
      return { ...common, arch: 'SRGAN', numFeat: meta.num_feat, numResidual: meta.num_residual, hasBatchNorm: true, preluPerChannel: true };
    default:
      throw new Error(`unknown arch in meta: ${meta.arch}`);
  }
}

function checkCase(dir: string): { info: ModelInfo; ms: number } {
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta;
  const bytes = readFileSync(path.join(dir, 'model.pth'));
  const start = performance.now();
  const loaded = loadWeights(bytes, `${meta.name}/model.pth`);
  const ms = performance.now() - start;
  const sd = loaded.stateDict;

  expect(loaded.format).toBe(meta.serialization === 'zip' ? 'pth-zip' : 'pth-legacy');
  expect(loaded.wrapperKey ?? null).toBe(meta.wrapper_key);
  expect(sd.size).toBe(meta.state_dict_num_keys);
  expect([...sd.keys()].slice(0, meta.state_dict_first_keys.length)).toEqual(meta.state_dict_first_keys);
  expect(countParameters(sd)).toBe(meta.param_count);
  for (const t of sd.values()) {
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    if (t.dtype === 'float32') expect(t.data.every(Number.isFinite)).toBe(true);
  }

  const info = detectArchitecture(sd, meta.name);
  expect(info).toMatchObject(expectedSizes(meta));
  if (meta.arch === 'EDSR') {
    // MeanShift biases are float32 copies of 255·mean: recovered to float32 precision (1e-6).
    const edsr = info as ModelInfo & { rgbMean: number[]; rgbStd: number[] };
    edsr.rgbMean.forEach((m, c) => expect(Math.abs(m - meta.rgb_mean![c]!)).toBeLessThan(1e-6));
    edsr.rgbStd.forEach((s, c) => expect(Math.abs(s - meta.rgb_std![c]!)).toBeLessThan(1e-6));
  }
  return { info, ms };
}

describe('every fixture checkpoint loads and is detected as meta.json says', () => {
  for (const name of SMALL) {
    it(name, () => {
      checkCase(path.join(localModels, name));
    });
  }

  it.skipIf(!existsSync(FULL))('realesrgan_x4_full (67 MB, from ../shared)', () => {
    // Timing is reported, not asserted: a loaded CI machine must not fail a correctness test.
    const { ms } = checkCase(FULL);
    console.log(`realesrgan_x4_full: loaded 67 MB in ${ms.toFixed(0)} ms`);
  });

  it('the copies in test/fixtures match the shared originals when those are present', () => {
    for (const name of SMALL) {
      const shared = path.join(sharedModels, name, 'model.pth');
      if (!existsSync(shared)) continue;
      expect(readFileSync(path.join(localModels, name, 'model.pth')).equals(readFileSync(shared))).toBe(true);
    }
  });
});
