import { roundHalfEven } from '../../image/quantize.js';
import { planar, type Planar } from '../data/planar.js';
import type { Rng } from '../../rng.js';

/**
 * BasicSR's noise (basicsr/data/degradations.py, the *_pt versions Real-ESRGAN's model calls),
 * clipped to [0, 1] afterwards and not rounded, as Real-ESRGAN asks (clip=True, rounds=False).
 *   Gaussian  img + σ/255·N(0, 1), independent per channel, or one plane for all three (gray).
 *   Poisson   shot noise: the image rounded to 8 bits, v its number of distinct values rounded
 *             up to a power of two, noise = Poisson(img·v)/v − img, times `scale`, added to the
 *             unrounded image; gray noise is computed on the luma (torchvision's
 *             0.2989 R + 0.587 G + 0.114 B) and added to all three channels.
 */
export type NoiseDraw = { kind: 'gaussian'; sigma: number; gray: boolean } | { kind: 'poisson'; scale: number; gray: boolean };

/** The plane(s) the noise is generated for: the whole image, or its luma (one plane). */
function plane(image: Planar, gray: boolean): { planes: number; size: number } {
  return { planes: gray ? 1 : image.channels, size: image.height * image.width };
}

/** Adds `noise` (one plane per channel, or one plane for all) to the image, then clips to [0, 1]. */
function addClipped(image: Planar, noise: Float32Array | Float64Array, planes: number): Planar {
  const size = image.height * image.width;
  const out = planar(image.channels, image.height, image.width);
  for (let c = 0; c < image.channels; c++) {
    const n = planes === 1 ? 0 : c * size;
    for (let i = 0; i < size; i++) {
      const v = image.data[c * size + i]! + noise[n + i]!;
      out.data[c * size + i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

export function addGaussianNoise(image: Planar, sigma: number, gray: boolean, rng: Rng): Planar {
  const { planes, size } = plane(image, gray);
  const noise = new Float64Array(planes * size);
  rng.fillNormal(noise);
  const s = sigma / 255;
  for (let i = 0; i < noise.length; i++) noise[i]! *= s;
  return addClipped(image, noise, planes);
}

/** torchvision's rgb_to_grayscale weights. */
export const LUMA = [0.2989, 0.587, 0.114] as const;

/** round(v·255) half to even in float32 (torch's (img * 255).round()), clamped to 0…255. */
function level(v: number): number {
  const r = roundHalfEven(Math.fround(v * 255));
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** The image (or its luma) rounded to 8-bit levels 0…255 (plain loops: TypedArray.from with a map function is slow in V8). */
function levels(image: Planar, gray: boolean): Uint8Array {
  const size = image.height * image.width;
  const d = image.data;
  const out = new Uint8Array(gray ? size : d.length);
  if (!gray) for (let i = 0; i < d.length; i++) out[i] = level(d[i]!);
  else for (let i = 0; i < size; i++) out[i] = level(LUMA[0] * d[i]! + LUMA[1] * d[size + i]! + LUMA[2] * d[2 * size + i]!);
  return out;
}

/** 2^⌈log2(number of distinct values)⌉ (BasicSR's vals). */
export function poissonLevels(values: Uint8Array): number {
  const seen = new Uint8Array(256);
  let distinct = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (seen[v] === 0) {
      seen[v] = 1;
      distinct++;
    }
  }
  return 2 ** Math.ceil(Math.log2(distinct));
}

/**
 * Poisson(λ) samples by inversion of the cumulative distribution: exact, and cheap here because
 * λ = (level/255)·v takes at most 256 values per image (one table each, made when first needed).
 * A guide table (Chen & Asau) starts each search at most a step or two from its answer.
 */
export class PoissonSampler {
  private readonly tables: ({ cdf: Float64Array; guide: Uint16Array } | undefined)[] = [];

  constructor(private readonly levels: number) {}

  /** λ of an 8-bit level: float32 arithmetic, as torch.poisson(img·vals) receives it. */
  lambda(level: number): number {
    return Math.fround(Math.fround(level / 255) * this.levels);
  }

  /** A sample for `level` from the uniform u ∈ [0, 1). */
  sample(level: number, u: number): number {
    if (level === 0) return 0;
    let t = this.tables[level];
    if (!t) this.tables[level] = t = guided(poissonCdf(this.lambda(level)));
    let k = t.guide[Math.floor(u * t.guide.length)]!;
    while (t.cdf[k]! <= u) k++;
    return k;
  }
}

function guided(cdf: Float64Array): { cdf: Float64Array; guide: Uint16Array } {
  const guide = new Uint16Array(cdf.length);
  let k = 0;
  for (let g = 0; g < guide.length; g++) {
    while (cdf[k]! <= g / guide.length) k++;
    guide[g] = k;
  }
  return { cdf, guide };
}

/** P(X ≤ k) for k = 0, 1, … until the tail is below double precision; the last entry is +∞. */
export function poissonCdf(lambda: number): Float64Array {
  const values: number[] = [];
  let p = Math.exp(-lambda);
  let sum = 0;
  for (let k = 0; ; k++) {
    if (k > 0) p *= lambda / k;
    sum += p;
    values.push(sum);
    if (k > lambda && (p < 1e-17 || sum >= 1)) break;
  }
  values[values.length - 1] = Infinity; // whatever u is, the search ends inside the table
  return Float64Array.from(values);
}

const TWO_POW_32 = 4294967296;

/** One sampler per v (a power of two ≤ 256), kept: its tables depend on nothing else. */
const samplers = new Map<number, PoissonSampler>();

export function addPoissonNoise(image: Planar, scale: number, gray: boolean, rng: Rng): Planar {
  const rounded = levels(image, gray);
  const v = poissonLevels(rounded);
  let sampler = samplers.get(v);
  if (!sampler) samplers.set(v, (sampler = new PoissonSampler(v)));
  const noise = new Float64Array(rounded.length);
  for (let i = 0; i < rounded.length; i++) {
    const level = rounded[i]!;
    // 32 random bits per sample: u in steps of 2⁻³² only cuts off tails of probability below that.
    noise[i] = (sampler.sample(level, rng.uint32() / TWO_POW_32) / v - Math.fround(level / 255)) * scale;
  }
  return addClipped(image, noise, gray ? 1 : image.channels);
}

export function addNoise(image: Planar, draw: NoiseDraw, rng: Rng): Planar {
  return draw.kind === 'gaussian' ? addGaussianNoise(image, draw.sigma, draw.gray, rng) : addPoissonNoise(image, draw.scale, draw.gray, rng);
}
