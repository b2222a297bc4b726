import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readImage, writeImage } from '../../src/io/index.js';
import { createUpscaler } from '../../src/upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeTorchZip } from '../../src/weights/pth-writer.js';
import type { StateDict } from '../../src/weights/types.js';
import { testDevice } from '../helpers/gpu.js';
import { startModelServer, type ModelServer } from '../helpers/model-server.js';
import { randomArray, rng } from '../helpers/synthetic.js';
import { hashSample, makeImage } from '../image/images.js';
import { run } from './run.js';
import { imageFolder } from '../train-run/images.js';

const tiny = new Uint8Array(readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth')));
/** The tiny model with every weight nudged, saved as Real-ESRGAN saves (params_ema): a stand-in "wdn" variant. */
function nudged(): Uint8Array {
  const random = rng(3);
  const sd: StateDict = new Map();
  for (const [k, t] of loadWeights(tiny).stateDict) {
    const noise = randomArray(t.data.length, random, 0.05);
    sd.set(k, { ...t, data: t.data.map((v, i) => v * (1 + noise[i]!)) });
  }
  return writeTorchZip(sd, { wrapperKey: 'params_ema' });
}
const wdn = nudged();

const dir = mkdtempSync(join(tmpdir(), 'wgsr-by-name-'));
const cache = join(dir, 'cache');
const input = join(dir, 'in.png');
const image = makeImage(12, 10, 3, 8, (x, y, c) => hashSample(x, y, c, 255));
let server: ModelServer;
const saved = { cache: process.env.WGSR_CACHE_DIR, catalog: process.env.WGSR_MODELS_CATALOG };

beforeAll(async () => {
  server = await startModelServer({ '/tiny-x4.pth': { bytes: tiny }, '/tiny-wdn-x4.pth': { bytes: wdn }, '/bad.pth': { bytes: tiny.subarray(0, 1000) } });
  const entry = (name: string, file: string, extra = {}) => ({ name, url: `${server.url}/${file}`, arch: 'SRVGGNetCompact', scale: 4, parameters: 16_768, ...extra });
  const catalog = join(dir, 'catalog.json');
  writeFileSync(catalog, JSON.stringify([entry('Tiny_x4', 'tiny-x4.pth', { denoisePartner: 'tiny-wdn-x4' }), entry('tiny-wdn-x4', 'tiny-wdn-x4.pth'), entry('broken', 'bad.pth')]));
  process.env.WGSR_MODELS_CATALOG = catalog;
  process.env.WGSR_CACHE_DIR = cache;
  await writeImage(input, image);
});
afterEach(() => {
  process.env.WGSR_CACHE_DIR = cache;
});
afterAll(async () => {
  await server.close();
  for (const [k, v] of [['WGSR_CACHE_DIR', saved.cache], ['WGSR_MODELS_CATALOG', saved.catalog]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function expected(dni?: { bytes: Uint8Array; strength: number }) {
  const up = await createUpscaler(tiny, { device: (await testDevice()).device, dni });
  try {
    return (await up.upscale(image)).data;
  } finally {
    up.destroy();
  }
}

describe('wgsr upscale -n NAME (a catalogue served from 127.0.0.1)', () => {
  it('downloads once with progress, caches, then runs from the cache without a request', async () => {
    const out = join(dir, 'out.png');
    const first = await run('upscale', input, '-o', out, '-n', 'tiny-x4');
    expect(first.code, first.stderr.join('\n')).toBe(0);
    expect(first.stderr).toContain(`wgsr: downloading Tiny_x4 from ${server.url}/tiny-x4.pth to ${join(cache, 'tiny-x4.pth')}`);
    expect(first.stderr).toContain('  0.1 MB / 0.1 MB (100%)');
    expect(first.stderr.some((l) => l.startsWith('wgsr: model Tiny_x4: SRVGGNetCompact ×4'))).toBe(true);
    expect(first.stderr.some((l) => l.includes('tip:'))).toBe(false);
    expect(Buffer.from((await readImage(out)).data).equals(Buffer.from(await expected()))).toBe(true);

    const models = await run('models', '--json');
    const listed = models.stdout.map((l) => JSON.parse(l) as { name: string; cached: boolean });
    expect(listed.find((m) => m.name === 'Tiny_x4')).toMatchObject({ cached: true, bytes: tiny.length });
    expect(listed.find((m) => m.name === 'RealESRGAN_x4plus')).toMatchObject({ cached: false });

    const before = server.hits.get('/tiny-x4.pth');
    const second = await run('upscale', input, '-o', join(dir, 'out2.png'), '-n', 'TINY_X4');
    expect(second.code).toBe(0);
    expect(second.stderr.some((l) => l.includes('downloading'))).toBe(false);
    expect(server.hits.get('/tiny-x4.pth')).toBe(before);
  });

  it('--denoise-strength fetches the partner and blends (Real-ESRGAN’s DNI)', async () => {
    const out = join(dir, 'dni.png');
    const r = await run('upscale', input, '-o', out, '-n', 'tiny-x4', '--denoise-strength', '0.3');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stderr.some((l) => l.startsWith('wgsr: model Tiny_x4 (denoise strength 0.3, with tiny-wdn-x4)'))).toBe(true);
    expect(Buffer.from((await readImage(out)).data).equals(Buffer.from(await expected({ bytes: wdn, strength: 0.3 })))).toBe(true);
    const none = await run('upscale', input, '-o', out, '-n', 'broken', '--denoise-strength', '0.3');
    expect(none.stderr.join('\n')).toContain('--denoise-strength needs a model with a weak-denoise variant');
  });

  it('--model-dir keeps models where it says; a bad download leaves nothing', async () => {
    const own = join(dir, 'own');
    const r = await run('upscale', input, '-o', join(dir, 'own.png'), '-n', 'tiny-x4', '--model-dir', own, '-q');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(existsSync(join(own, 'tiny-x4.pth'))).toBe(true);
    const bad = await run('upscale', input, '-o', join(dir, 'bad.png'), '-n', 'broken', '-q');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toEqual([expect.stringMatching(/^wgsr upscale: http:\/\/127\.0\.0\.1:\d+\/bad\.pth is not broken: it cannot be read as a model .*; nothing was kept$/)]);
    expect(existsSync(join(cache, 'bad.pth'))).toBe(false);
    expect(existsSync(join(dir, 'bad.png'))).toBe(false);
  });

  it('usage errors: unknown names suggest close ones; -m and -n exclude each other', async () => {
    const unknown = await run('upscale', input, '-n', 'tiny-x5');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toEqual(['wgsr upscale: unknown model name "tiny-x5"; did you mean Tiny_x4? (wgsr models lists them; -m takes a model file)']);
    const both = await run('upscale', input, '-n', 'tiny-x4', '-m', 'x.pth');
    expect(both.stderr[0]).toContain('-m (a model file) and -n (a model name) exclude each other');
  });

  it('the bundled model ends with one hint naming a real model', async () => {
    const r = await run('upscale', input, '-o', join(dir, 'bundled.png'));
    expect(r.code).toBe(0);
    expect(r.stderr.filter((l) => l.includes('tip:'))).toEqual([expect.stringContaining('-n realesrgan-x4plus')]);
  });
});

describe('wgsr train -n NAME', () => {
  it('fine-tunes the catalogue model from its cached file, and refuses -m with -n', async () => {
    const hr = imageFolder(dir, 'hr', [{ name: 'a.png', width: 64, height: 48, seed: 1 }]);
    const runDir = join(dir, 'run');
    const r = await run('train', '--hr', hr, '-n', 'tiny-x4', '--patch', '8', '--batch', '2', '--iters', '1', '--workers', '0', '-o', runDir, '--json');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(existsSync(join(runDir, 'last.safetensors'))).toBe(true);
    const trained = loadWeights(new Uint8Array(readFileSync(join(runDir, 'last.safetensors')))).stateDict;
    expect([...trained.keys()].sort()).toEqual([...loadWeights(tiny).stateDict.keys()].sort());
    const both = await run('train', '--hr', hr, '-n', 'tiny-x4', '-m', 'x.pth', '-o', join(dir, 'run2'));
    expect(both.code).toBe(2);
    expect(both.stderr.join('\n')).toMatch(/either -m <model file> or -n <model name>, not both/);
    const unknown = await run('train', '--hr', hr, '-n', 'tiny-x5', '-o', join(dir, 'run3'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.join('\n')).toMatch(/tiny-x5/);
  }, 60_000);
});

describe('wgsr models', () => {
  it('lists the catalogue as a table, with the cache folder; --list-models is the same', async () => {
    const r = await run('models');
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(/^name\s+arch\s+scale\s+size\s+cached\s+for$/);
    expect(r.stdout.find((l) => l.startsWith('RealESRGAN_x4plus '))).toMatch(/^RealESRGAN_x4plus\s+RRDBNet\s+×4\s+~66\.8 MB\s+no\s+general photos/);
    expect(r.stdout.at(-1)).toContain(`cache: ${process.env.WGSR_CACHE_DIR}`);
    expect((await run('--list-models')).stdout).toEqual(r.stdout);
  });

  it('a bad WGSR_MODELS_CATALOG is one clear line', async () => {
    const saved = process.env.WGSR_MODELS_CATALOG;
    const file = join(dir, 'broken-catalog.json');
    writeFileSync(file, '[{"name": "x"}]');
    process.env.WGSR_MODELS_CATALOG = file;
    try {
      const r = await run('models');
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([`wgsr models: ${file}: entry 1 needs "url" as a non-empty string`]);
    } finally {
      process.env.WGSR_MODELS_CATALOG = saved;
    }
  });
});
