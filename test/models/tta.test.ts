import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIHEDRAL_GROUP } from '../../src/kernels/dihedral.js';
import { createUpscaler, type Tensor4, type Upscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { rng } from '../helpers/synthetic.js';
import { dihedralInverseRef, dihedralRef } from '../reference/dihedral.js';
import { tensor3 } from '../reference/tensor.js';
import { hashSample, makeImage } from '../image/images.js';

/**
 * Test-time augmentation against its definition: our own forward run eight times on inputs
 * transformed on the CPU, each output transformed back on the CPU, averaged in float64. The
 * GPU version transforms on the GPU and sums eighths in f32, so the two differ by f32
 * rounding of the sum only: |Δ| ≤ 1e-5 of the output's range.
 */
const FIXTURES = resolve(__dirname, '../fixtures/models');
const MODELS = ['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny', 'srvgg_x4_tiny', 'edsr_x2_tiny', 'edsr_x4_tiny', 'srgan_x4_tiny'];

async function referenceTta(up: Upscaler, input: Tensor4): Promise<Float64Array> {
  const [, c, h, w] = input.shape;
  const x = tensor3(c, h, w, input.data);
  let sum: Float64Array | undefined;
  for (const t of DIHEDRAL_GROUP) {
    const tx = dihedralRef(x, t);
    const out = await up.forward({ shape: [1, c, tx.height, tx.width], data: tx.data });
    const [, oc, oh, ow] = out.shape;
    const back = dihedralInverseRef(tensor3(oc, oh, ow, out.data), t);
    sum ??= new Float64Array(back.data.length);
    back.data.forEach((v, i) => (sum![i]! += v));
  }
  return sum!.map((v) => v / DIHEDRAL_GROUP.length);
}

describe('test-time augmentation', () => {
  for (const name of MODELS) {
    it(`${name}: forward with tta equals the float64 mean of 8 CPU-transformed forwards (non-square input)`, async () => {
      const { device } = await testDevice();
      const up = await createUpscaler(readFileSync(resolve(FIXTURES, name, 'model.pth')), { device });
      try {
        const range = up.info.arch === 'EDSR' ? 255 : 1;
        const rand = rng(name.length);
        const input: Tensor4 = { shape: [1, 3, 6, 10], data: Float32Array.from({ length: 3 * 6 * 10 }, () => rand() * range) };
        const want = await referenceTta(up, input);
        const got = await up.forward(input, { tta: true });
        expect(got.shape).toEqual([1, 3, 6 * up.info.scale, 10 * up.info.scale]);
        let lo = Infinity;
        let hi = -Infinity;
        let worst = 0;
        want.forEach((v, i) => {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
          worst = Math.max(worst, Math.abs(got.data[i]! - v));
        });
        expect(worst).toBeLessThanOrEqual(1e-5 * (hi - lo));
        // And it is not the plain forward: the transforms do change a network's output.
        const plain = await up.forward(input);
        expect(plain.data.some((v, i) => Math.abs(v - want[i]!) > 1e-3 * (hi - lo))).toBe(true);
      } finally {
        up.destroy();
      }
    });
  }

  it('upscale with tta, whole and tiled (non-square tiles, f16 too): every sample within ±1 level of the quantised reference', async () => {
    const { device } = await testDevice();
    const bytes = readFileSync(resolve(FIXTURES, 'realesrgan_x4_tiny', 'model.pth'));
    const image = makeImage(14, 9, 3, 8, (x, y, c) => hashSample(x, y, c, 255));
    const ref = await createUpscaler(bytes, { device });
    const input = Float32Array.from({ length: 3 * 9 * 14 }, (_, i) => {
      const c = Math.floor(i / (9 * 14));
      const p = i % (9 * 14);
      return image.data[p * 3 + c]! / 255;
    });
    const mean = await referenceTta(ref, { shape: [1, 3, 9, 14], data: input });
    ref.destroy();
    const want = new Uint8Array(mean.length);
    const [H, W] = [36, 56];
    mean.forEach((v, i) => {
      const c = Math.floor(i / (H * W));
      want[(i % (H * W)) * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    });
    for (const settings of [{ tile: 0 }, { tile: 6, tilePad: 20 }, { tile: 0, precision: 'f16' as const }]) {
      const up = await createUpscaler(bytes, { device, precision: settings.precision });
      try {
        const progress: number[] = [];
        const out = await up.upscale(image, { tta: true, tile: settings.tile, tilePad: settings.tilePad, onProgress: (_d, t) => progress.push(t) });
        expect(progress[0]).toBe(settings.tile ? 6 : 1);
        // Tiles padded by 20 ≥ the tiny network's receptive field see the whole image: the same as whole.
        let worst = 0;
        out.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]!))));
        expect(worst, JSON.stringify(settings)).toBeLessThanOrEqual(1);
      } finally {
        up.destroy();
      }
    }
  });
});
