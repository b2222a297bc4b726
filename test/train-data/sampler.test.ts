import { describe, expect, it } from 'vitest';
import type { Image } from '../../src/image/types.js';
import { prepareTrainingPair, type PreparedPair } from '../../src/train/data/images.js';
import { Rng } from '../../src/rng.js';
import { createPatchSampler, type PatchSamplerOptions } from '../../src/train/data/sampler.js';
import { memorySource } from '../../src/train/data/source.js';

/**
 * An HR image made of scale×scale blocks of one random colour each, and its LR image (one pixel
 * per block): nearest-upsampling an LR patch must give back its HR patch exactly, whatever the
 * crop and augmentation, if the two were cropped at aligned places and augmented alike.
 */
function blockPair(name: string, lrW: number, lrH: number, scale: number, seed: number): PreparedPair {
  const rng = Rng.derive(seed);
  const lr = new Uint8Array(lrW * lrH * 3).map(() => rng.int(0, 255));
  const hr = new Uint8Array(lrW * lrH * scale * scale * 3);
  for (let y = 0; y < lrH * scale; y++)
    for (let x = 0; x < lrW * scale; x++) for (let c = 0; c < 3; c++) hr[(y * lrW * scale + x) * 3 + c] = lr[(Math.floor(y / scale) * lrW + Math.floor(x / scale)) * 3 + c]!;
  const image = (width: number, height: number, data: Uint8Array): Image => ({ width, height, channels: 3, bitDepth: 8, data });
  return prepareTrainingPair({ name, hr: image(lrW * scale, lrH * scale, hr), lr: image(lrW, lrH, lr) }, scale, 4, 'none');
}

const OPTIONS: PatchSamplerOptions = { scale: 2, patch: 4, batchSize: 3, seed: 17, degrade: 'none' };

describe('patch sampler', () => {
  it('crops LR and HR at aligned places and augments them alike', async () => {
    const source = memorySource([blockPair('a', 13, 9, 2, 1), blockPair('b', 7, 11, 2, 2)]);
    const sampler = createPatchSampler(source, { ...OPTIONS, batchSize: 8 });
    for (let b = 0; b < 6; b++) {
      const { lr, hr } = await sampler.next();
      expect(lr.shape).toEqual([8, 3, 4, 4]);
      expect(hr.shape).toEqual([8, 3, 8, 8]);
      for (let n = 0; n < 8; n++)
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < 8; y++)
            for (let x = 0; x < 8; x++) {
              const h = hr.data[((n * 3 + c) * 8 + y) * 8 + x]!;
              const l = lr.data[((n * 3 + c) * 4 + (y >> 1)) * 4 + (x >> 1)]!;
              if (h !== l) throw new Error(`batch ${b} sample ${n}: HR (${c}, ${y}, ${x}) = ${h} but its LR pixel is ${l}`);
            }
    }
  });

  it('is reproducible: the same seed gives the same batches, and a resumed sampler goes on exactly', async () => {
    const source = memorySource([blockPair('a', 13, 9, 2, 1), blockPair('b', 7, 11, 2, 2), blockPair('c', 9, 9, 2, 3)]);
    const a = createPatchSampler(source, OPTIONS);
    const made = [await a.next(), await a.next(), await a.next()];
    const saved = JSON.parse(JSON.stringify(a.state()));
    expect(saved).toEqual({ seed: 17, batch: 3 });
    const fourth = await a.next();
    const b = createPatchSampler(source, OPTIONS, saved);
    expect((await b.next()).lr.data).toEqual(fourth.lr.data);
    expect((await b.batch(1)).hr.data).toEqual(made[1]!.hr.data); // any batch, any order
    const other = createPatchSampler(source, { ...OPTIONS, seed: 18 });
    expect((await other.batch(0)).lr.data).not.toEqual(made[0]!.lr.data);
    expect(() => createPatchSampler(source, OPTIONS, { seed: 5, batch: 0 })).toThrow(/seed 5 but this run asks for seed 17/);
  });

  it('visits every image once per epoch, in a new order each epoch', async () => {
    // Five images, each one flat colour (its index): a batch of 5 is one epoch.
    const flat = (i: number): PreparedPair => {
      const hr: Image = { width: 16, height: 16, channels: 3, bitDepth: 8, data: new Uint8Array(16 * 16 * 3).fill(i * 10) };
      return prepareTrainingPair({ name: `${i}`, hr, lr: { ...hr, width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(i * 10) } }, 2, 4, 'none');
    };
    const sampler = createPatchSampler(memorySource([0, 1, 2, 3, 4].map(flat)), { ...OPTIONS, batchSize: 5 });
    const orders: string[] = [];
    for (let e = 0; e < 4; e++) {
      const { lr } = await sampler.next();
      const order = [0, 1, 2, 3, 4].map((n) => Math.round((lr.data[n * 48]! * 255) / 10));
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
      orders.push(order.join());
    }
    expect(new Set(orders).size).toBeGreaterThan(1);
  });

  it('reaches all eight symmetries of the square with flips and rotations, only two with flips alone', async () => {
    // A patch whose 16 pixels all differ: each of the 8 symmetries gives a different first row.
    const hr: Image = { width: 4, height: 4, channels: 3, bitDepth: 8, data: Uint8Array.from({ length: 48 }, (_, i) => Math.floor(i / 3) * 16) };
    const pair = prepareTrainingPair({ name: 'p', hr, lr: { ...hr } }, 1, 4, 'none');
    const count = async (rotate: boolean) => {
      const seen = new Map<string, number>();
      const { lr } = await createPatchSampler(memorySource([pair]), { ...OPTIONS, scale: 1, batchSize: 1600, rotate }).next();
      for (let n = 0; n < 1600; n++) {
        const key = Array.from(lr.data.subarray(n * 48, n * 48 + 4), (v) => Math.round(v * 255)).join();
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      return [...seen.values()];
    };
    const all = await count(true);
    expect(all.length).toBe(8);
    for (const c of all) expect(Math.abs(c / 1600 - 1 / 8)).toBeLessThan(0.035); // σ ≈ 0.008
    expect((await count(false)).length).toBe(2);
  });

  it("with degrade 'realesrgan' makes LR patches from the HR crops, on the 8-bit grid, reproducibly", async () => {
    const source = memorySource([blockPair('a', 40, 36, 4, 1)].map((p) => prepareTrainingPair({ name: p.name, hr: p.hr }, 4, 8, 'realesrgan')));
    const options: PatchSamplerOptions = { scale: 4, patch: 8, batchSize: 2, seed: 3, degrade: 'realesrgan' };
    const a = await createPatchSampler(source, options).batch(5);
    const b = await createPatchSampler(source, options).batch(5);
    expect(a.lr.shape).toEqual([2, 3, 8, 8]);
    expect(a.hr.shape).toEqual([2, 3, 32, 32]);
    expect(a.lr.data).toEqual(b.lr.data);
    expect(a.lr.data.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4)).toBe(true);
  });

  it('mixes clean bicubic LR into realesrgan samples at the share cleanProb asks for', async () => {
    const hr = blockPair('a', 40, 36, 4, 1).hr;
    const source = memorySource([prepareTrainingPair({ name: 'a', hr }, 4, 8, 'realesrgan', true)]);
    const base: PatchSamplerOptions = { scale: 4, patch: 8, batchSize: 200, seed: 3, degrade: 'realesrgan' };
    // 'bicubic' crops the same MATLAB bicubic LR with the same crop and augmentation draws, so a
    // clean sample equals its bicubic sample exactly and a degraded one does not.
    const bicubic = await createPatchSampler(memorySource([prepareTrainingPair({ name: 'a', hr }, 4, 8, 'bicubic')]), { ...base, degrade: 'bicubic' }).batch(0);
    const cleanSamples = async (cleanProb: number) => {
      const b = await createPatchSampler(source, { ...base, cleanProb }).batch(0);
      expect(b.hr.data).toEqual(bicubic.hr.data);
      const n = 3 * 8 * 8;
      let clean = 0;
      for (let i = 0; i < base.batchSize; i++) if (b.lr.data.subarray(i * n, (i + 1) * n).every((v, j) => v === bicubic.lr.data[i * n + j])) clean++;
      return { clean, lr: b.lr.data };
    };
    expect((await cleanSamples(1)).clean).toBe(200);
    const quarter = (await cleanSamples(0.25)).clean;
    expect(quarter).toBeGreaterThanOrEqual(30); // 50 expected; σ ≈ 6
    expect(quarter).toBeLessThanOrEqual(70);
    // cleanProb 0 makes no draw: the samples are exactly Real-ESRGAN's.
    const none = await cleanSamples(0);
    expect(none.clean).toBe(0);
    expect(none.lr).toEqual((await createPatchSampler(source, base).batch(0)).lr.data);
  });

  it('refuses impossible options', () => {
    const source = memorySource([blockPair('a', 13, 9, 2, 1)]);
    expect(() => createPatchSampler(source, { ...OPTIONS, patch: 0 })).toThrow(/patch must be a whole number ≥ 1/);
    expect(() => createPatchSampler(source, { ...OPTIONS, degrade: 'fancy' as never })).toThrow(/none, bicubic or realesrgan/);
    expect(() => createPatchSampler(source, OPTIONS, { seed: 17, batch: -1 })).toThrow(/batch index -1/);
    expect(() => createPatchSampler(source, { ...OPTIONS, degrade: 'realesrgan', cleanProb: 1.5 })).toThrow(/clean samples must be a number in \[0, 1\], got 1.5/);
    expect(() => createPatchSampler(source, { ...OPTIONS, degrade: 'bicubic', cleanProb: 0.3 })).toThrow(/with degrade bicubic every sample is already clean/);
  });
});
