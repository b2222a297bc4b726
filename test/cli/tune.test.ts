import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONV_KERNEL_NAMES } from '../../src/kernels/conv2d-variants.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { run } from './run.js';

const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');

describe('wgsr tune', () => {
  const saved = process.env.WGSR_CACHE_DIR;
  beforeAll(() => void (process.env.WGSR_CACHE_DIR = mkdtempSync(join(tmpdir(), 'wgsr-tune-'))));
  afterAll(() => (saved === undefined ? delete process.env.WGSR_CACHE_DIR : (process.env.WGSR_CACHE_DIR = saved)));

  it('--json: the adapter, every variant with why it is not offered, timings per layer shape, the choice', async () => {
    const r = await run('tune', '-m', MODEL, '--size', '8', '--json');
    expect(r.code, r.stderr.join('\n')).toBe(0);
    const result = JSON.parse(r.stdout.join('\n'));
    expect(result.adapter.cpu).toBe(true); // lavapipe
    expect(result.variants.map((v: { name: string }) => v.name)).toEqual([...CONV_KERNEL_NAMES]);
    expect(result.variants.find((v: { name: string }) => v.name === 'gemm-f16')).toMatchObject({ supported: false, reason: expect.stringMatching(/f16 activations only/) });
    expect(result.layers.map((l: { shape: string }) => l.shape)).toEqual(['3->16 k3', '16->16 k3', '16->48 k3']);
    for (const l of result.layers) {
      expect(Object.keys(l.timings).sort()).toEqual(['gemm', 'register-tile']);
      expect(l.chosen).toBe('register-tile'); // the heuristic on a CPU adapter
    }
    expect(result.note).toMatch(/CPU adapter: kernels "auto" uses the heuristic \(register-tile\)/);
    expect(result.peakGflops).toBeGreaterThan(0);
    // Every name it prints is one createUpscaler accepts (where offered, it runs).
    const { device } = await testDevice();
    for (const v of result.variants.filter((x: { supported: boolean }) => x.supported)) {
      const up = await createUpscaler(readFileSync(MODEL), { device, kernels: v.name });
      expect(up.kernels).toBe(v.name);
      up.destroy();
    }
  });

  it('rejects a bad precision', async () => {
    const r = await run('tune', '--precision', 'f8');
    expect(r.code).not.toBe(0);
    expect(r.stderr.join('\n')).toMatch(/--precision must be f32 or f16, got "f8"/);
  });
});
