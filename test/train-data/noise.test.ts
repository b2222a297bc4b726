import { describe, expect, it } from 'vitest';
import { planar, type Planar } from '../../src/train/data/planar.js';
import { Rng } from '../../src/rng.js';
import { addGaussianNoise, addPoissonNoise, poissonCdf, poissonLevels, PoissonSampler } from '../../src/train/degrade/noise.js';

/** A 3-channel image whose column x holds level x/255 (all 256 levels present: BasicSR's vals = 256). */
function ramp(height: number): Planar {
  const p = planar(3, height, 256);
  for (let c = 0; c < 3; c++) for (let y = 0; y < height; y++) for (let x = 0; x < 256; x++) p.data[(c * height + y) * 256 + x] = x / 255;
  return p;
}

/** Mean and variance of (out − in) over the columns [x0, x1) of every channel (or of channel 0). */
function noiseStats(input: Planar, output: Planar, x0: number, x1: number): { mean: number; variance: number } {
  const values: number[] = [];
  for (let c = 0; c < input.channels; c++)
    for (let y = 0; y < input.height; y++) for (let x = x0; x < x1; x++) values.push(output.data[(c * input.height + y) * input.width + x]! - input.data[(c * input.height + y) * input.width + x]!);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, variance: values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length };
}

describe('Gaussian noise', () => {
  it('has σ/255 per channel (σ = 10 and 25; n = 49 152, standard error of σ ≈ 0.3 %: tolerance 2 %)', () => {
    const flat = planar(3, 128, 128, new Float32Array(3 * 128 * 128).fill(0.5));
    for (const sigma of [10, 25]) {
      const { mean, variance } = noiseStats(flat, addGaussianNoise(flat, sigma, false, Rng.derive(sigma)), 0, 128);
      expect(Math.abs(mean) * 255).toBeLessThan(0.2);
      expect(Math.sqrt(variance) * 255).toBeGreaterThan(sigma * 0.98);
      expect(Math.sqrt(variance) * 255).toBeLessThan(sigma * 1.02);
    }
  });

  it('gray noise is the same in the three channels, colour noise is not; the result is clipped to [0, 1]', () => {
    const image = planar(3, 32, 32, new Float32Array(3 * 32 * 32).fill(0.9));
    const gray = addGaussianNoise(image, 30, true, Rng.derive(1));
    const colour = addGaussianNoise(image, 30, false, Rng.derive(1));
    const plane = 32 * 32;
    expect(gray.data.subarray(0, plane)).toEqual(gray.data.subarray(plane, 2 * plane));
    expect(gray.data.subarray(0, plane)).toEqual(gray.data.subarray(2 * plane));
    expect(colour.data.subarray(0, plane)).not.toEqual(colour.data.subarray(plane, 2 * plane));
    expect(Math.max(...colour.data)).toBe(1); // 0.9 + 30/255·z passes 1 often: clipped
    expect(Math.min(...colour.data)).toBeGreaterThanOrEqual(0);
  });
});

describe('Poisson noise', () => {
  it("has variance scale²·x/v at intensity x (shot noise, v = BasicSR's 2^⌈log2 levels⌉ = 256), mean 0", () => {
    // Each band of 32 columns holds ≈ 3·400·32 = 38 400 samples: the variance's standard error is
    // ≈ 0.7 %; tolerance 4 %. scale 0.5 keeps the brightest band 4σ from 1 (clipping would shrink
    // the variance there).
    const image = ramp(400);
    const scale = 0.5;
    const out = addPoissonNoise(image, scale, false, Rng.derive(3));
    for (const x0 of [32, 96, 160, 208]) {
      const { mean, variance } = noiseStats(image, out, x0, x0 + 32);
      const x = (x0 + 15.5) / 255; // the band's mean intensity
      const want = (scale * scale * x) / 256;
      expect(variance / want).toBeGreaterThan(0.96);
      expect(variance / want).toBeLessThan(1.04);
      expect(Math.abs(mean)).toBeLessThan(0.05 * Math.sqrt(want));
    }
  });

  it('gray Poisson noise is one plane on the luma, added to all three channels', () => {
    const image = ramp(16);
    const out = addPoissonNoise(image, 1, true, Rng.derive(4));
    const plane = 16 * 256;
    for (let i = 0; i < plane; i++) {
      const d0 = out.data[i]! - image.data[i]!;
      const d1 = out.data[plane + i]! - image.data[plane + i]!;
      if (Math.abs(d0 - d1) > 1e-6 && out.data[i]! > 0 && out.data[i]! < 1) throw new Error(`pixel ${i}: channels got different noise`);
    }
  });

  it('counts distinct levels as BasicSR does', () => {
    expect(poissonLevels(Uint8Array.of(7, 7, 7))).toBe(1);
    expect(poissonLevels(Uint8Array.of(0, 255))).toBe(2);
    expect(poissonLevels(Uint8Array.of(1, 2, 3))).toBe(4);
    expect(poissonLevels(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(256);
  });

  it('samples Poisson(λ) exactly: the frequencies of 0…12 for λ = 3.7 (n = 200 000, within 5 standard errors)', () => {
    const sampler = new PoissonSampler(256);
    const level = 3.7 * (255 / 256);
    const lambda = sampler.lambda(level);
    expect(lambda).toBeCloseTo(3.7, 5);
    const rng = Rng.derive(9);
    const n = 200_000;
    const counts = new Array(40).fill(0);
    for (let i = 0; i < n; i++) counts[sampler.sample(level, rng.next())]++;
    const cdf = poissonCdf(lambda);
    for (let k = 0; k <= 12; k++) {
      const p = cdf[k]! - (k ? cdf[k - 1]! : 0);
      expect(Math.abs(counts[k] / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('level 0 never gets noise, whatever u', () => {
    expect(new PoissonSampler(4).sample(0, 0.999)).toBe(0);
  });
});
