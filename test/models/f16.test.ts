import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/index.js';
import { createUpscaler, type UpscalerOptions } from '../../src/upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import { expectWithinRange } from '../helpers/compare.js';
import { testDevice } from '../helpers/gpu.js';
import { overflowingSrvgg } from '../helpers/overflowing-model.js';
import { readNpy } from '../helpers/npy.js';
import { randomArray, rng } from '../helpers/synthetic.js';

/**
 * Whole networks with f16 activations (math in f32). The budget: max |Δ| ≤ 2e-3 of the output's
 * range, just over half an 8-bit level (1/510 ≈ 1.96e-3), so an 8-bit image moves by at most
 * one level. Measured: 3.6e-4 – 9.3e-4 of the range on the fixtures (PSNR vs PyTorch f32 over
 * the range 75–81 dB).
 */
const F16_BUDGET = 2e-3;

const FIXTURES = resolve(__dirname, '../fixtures/models');
const SHARED = resolve(__dirname, '../../../shared/fixtures/models');
const CASES = [
  ...['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny', 'srvgg_x4_tiny', 'edsr_x2_tiny', 'edsr_x4_tiny', 'srgan_x4_tiny'].map((name) => resolve(FIXTURES, name)),
  resolve(SHARED, 'realesrgan_x4_full'),
];

/** The upscaler's warnings, collected. */
function warnings(): { list: string[]; options: Pick<UpscalerOptions, 'onWarning'> } {
  const list: string[] = [];
  return { list, options: { onWarning: (m) => list.push(m) } };
}

describe('f16 activations against PyTorch (f32)', () => {
  for (const dir of CASES) {
    const name = dir.split('/').pop()!;
    it.skipIf(!existsSync(dir))(`${name}: forward within ${F16_BUDGET} of the output's range`, async () => {
      const { device } = await testDevice();
      const input = readNpy(resolve(dir, 'input.npy'));
      const want = readNpy(resolve(dir, 'output.npy'));
      const w = warnings();
      const up = await createUpscaler(readFileSync(resolve(dir, 'model.pth')), { device, precision: 'f16', ...w.options });
      try {
        expect(up.precision).toBe('f16');
        const got = await up.forward({ shape: input.shape as [number, number, number, number], data: input.data });
        expectWithinRange(got.data, want.data, F16_BUDGET, `${name} f16`);
        expect(w.list).toEqual([]);
      } finally {
        up.destroy();
      }
    });
  }

  it('an 8-bit image through upscale() stays within one level of PyTorch', async () => {
    const { device } = await testDevice();
    const dir = resolve(__dirname, '../fixtures/pipeline/realesrgan_x4_tiny_0014_crop_tile16_pad4');
    const up = await createUpscaler(readFileSync(resolve(FIXTURES, 'realesrgan_x4_tiny/model.pth')), { device, precision: 'f16', tile: 16, tilePad: 4 });
    try {
      const got = await up.upscale(await readImage(resolve(dir, 'input.png')));
      const expected = await readImage(resolve(dir, 'expected.png'));
      let maxLevel = 0;
      for (let i = 0; i < expected.data.length; i++) maxLevel = Math.max(maxLevel, Math.abs(got.data[i]! - expected.data[i]!));
      expect(maxLevel).toBeLessThanOrEqual(1);
    } finally {
      up.destroy();
    }
  });

  it('odd element counts (EDSR ×3 on 5×7: 105 input and 945 output values) match f32', async () => {
    // EDSR ×3 from the ×2 fixture: a one-stage ×3 upsampler with random weights of that shape.
    const sd: StateDict = new Map(loadWeights(readFileSync(resolve(FIXTURES, 'edsr_x2_tiny/model.pth'))).stateDict);
    const nf = sd.get('head.0.weight')!.shape[0]!;
    const rand = rng(3);
    sd.set('tail.0.0.weight', { shape: [9 * nf, nf, 3, 3], data: randomArray(9 * nf * nf * 9, rand, Math.sqrt(3 / (nf * 9))), dtype: 'float32' });
    sd.set('tail.0.0.bias', { shape: [9 * nf], data: randomArray(9 * nf, rand, 0.1), dtype: 'float32' });
    const bytes = writeSafetensors(sd);
    const { device } = await testDevice();
    const input = { shape: [1, 3, 5, 7] as const, data: randomArray(105, rng(4), 255).map(Math.abs) };
    const [f32, f16] = await Promise.all(['f32', 'f16'].map((p) => createUpscaler(bytes, { device, precision: p as 'f32' | 'f16' })));
    try {
      const want = await f32!.forward(input);
      const got = await f16!.forward(input);
      expect(got.shape).toEqual([1, 3, 15, 21]);
      expectWithinRange(got.data, want.data, F16_BUDGET, 'EDSR ×3 f16 vs f32');
    } finally {
      f32!.destroy();
      f16!.destroy();
    }
  });
});

describe('f16 numerical safety', () => {
  it('activations beyond f16 range: forward warns, redoes the work in f32 and matches PyTorch', async () => {
    const { device } = await testDevice();
    const dir = resolve(FIXTURES, 'srvgg_x4_tiny');
    const input = readNpy(resolve(dir, 'input.npy'));
    const want = readNpy(resolve(dir, 'output.npy'));
    const w = warnings();
    const up = await createUpscaler(overflowingSrvgg(), { device, precision: 'f16', source: 'big.safetensors', ...w.options });
    try {
      for (let call = 1; call <= 2; call++) {
        const got = await up.forward({ shape: input.shape as [number, number, number, number], data: input.data });
        // f32 budget: the weights were rescaled, so allow 1e-4 of the range as for every f32 model.
        expectWithinRange(got.data, want.data, 1e-4, `overflowing SRVGG, call ${call}`);
        expect(w.list).toHaveLength(call);
        expect(w.list[call - 1]).toMatch(/^big\.safetensors: an activation exceeded f16's range .*finishing in f32$/);
      }
    } finally {
      up.destroy();
    }
  });

  it('a tiled image that overflows finishes in f32 with one warning, equal to an f32 run', async () => {
    const { device } = await testDevice();
    const image = await readImage(resolve(__dirname, '../fixtures/pipeline/realesrgan_x4_tiny_0014_crop_whole/input.png'));
    const bytes = overflowingSrvgg();
    const w = warnings();
    const f16 = await createUpscaler(bytes, { device, precision: 'f16', tile: 16, tilePad: 4, ...w.options });
    const f32 = await createUpscaler(bytes, { device, precision: 'f32', tile: 16, tilePad: 4 });
    try {
      const got = await f16.upscale(image);
      expect(w.list).toHaveLength(1);
      expect(Buffer.from(got.data as Uint8Array).equals(Buffer.from((await f32.upscale(image)).data as Uint8Array))).toBe(true);
    } finally {
      f16.destroy();
      f32.destroy();
    }
  });

  it('a device without shader-f16 runs in f32 and says so', async () => {
    const { device } = await testDevice();
    const features = new Set([...device.features].filter((f) => f !== 'shader-f16'));
    const noHalf = new Proxy(device, {
      get(target, key) {
        if (key === 'features') return features;
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const w = warnings();
    const up = await createUpscaler(readFileSync(resolve(FIXTURES, 'srvgg_x4_tiny/model.pth')), { device: noHalf, precision: 'f16', ...w.options });
    try {
      expect(up.precision).toBe('f32');
      expect(w.list).toEqual(['this GPU device has no shader-f16 feature; computing in f32']);
    } finally {
      up.destroy();
    }
  });
});
