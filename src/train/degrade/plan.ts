import type { Rng } from '../../rng.js';
import type { NoiseDraw } from './noise.js';
import { RESIZE_MODES, type DegradationOptions, type NoiseOptions, type ResizeMode, type ResizeOptions, type StageOptions } from './params.js';
import { drawFinalSinc, drawStageKernel, type KernelDraw } from './random-kernel.js';

/**
 * Every random choice of one sample's degradation, drawn before any pixel is touched: the plan
 * is plain data (loggable, testable, and the same whichever device then runs it). The pixels'
 * own randomness (the noise) comes after, from the same stream, in the order the chain runs.
 *
 * Draw order (ours; Real-ESRGAN draws the same things, split between its dataset and model):
 * kernel 1, kernel 2, final sinc, then stage 1 (resize, noise, JPEG), the second blur's coin,
 * stage 2 (resize, noise), the order of the last steps, the final resize mode, JPEG 2.
 *
 * Real-ESRGAN draws the resize, the noise kind and the last steps' order once per batch (a
 * batch tensor has one size) and mixes batches through a pool of 180 pairs; every choice here
 * is per sample, which gives that mixing directly.
 */
export interface ResizeDraw {
  direction: 'up' | 'down' | 'keep';
  scale: number;
  mode: ResizeMode;
}

export interface DegradationPlan {
  blur1: KernelDraw;
  resize1: ResizeDraw;
  noise1: NoiseDraw;
  jpeg1: number;
  /** Absent when the second stage does not blur (1 − secondBlurProb). */
  blur2?: KernelDraw;
  resize2: ResizeDraw;
  noise2: NoiseDraw;
  /** true: JPEG, then resize to the LR size + sinc; false: resize + sinc, then JPEG. */
  jpegBeforeFinalResize: boolean;
  finalMode: ResizeMode;
  /** Absent when the final filter is the identity (1 − finalSincProb). */
  sinc?: KernelDraw;
  jpeg2: number;
}

const DIRECTIONS = ['up', 'down', 'keep'] as const;

function drawResize(rng: Rng, o: ResizeOptions): ResizeDraw {
  const direction = rng.choose(DIRECTIONS, o.prob);
  const scale = direction === 'up' ? rng.uniform(1, o.range[1]) : direction === 'down' ? rng.uniform(o.range[0], 1) : 1;
  return { direction, scale, mode: rng.choose(RESIZE_MODES) };
}

function drawNoise(rng: Rng, o: NoiseOptions): NoiseDraw {
  if (rng.chance(o.gaussianProb)) {
    const sigma = rng.uniform(o.sigma[0], o.sigma[1]);
    return { kind: 'gaussian', sigma, gray: rng.chance(o.grayProb) };
  }
  const scale = rng.uniform(o.poissonScale[0], o.poissonScale[1]);
  return { kind: 'poisson', scale, gray: rng.chance(o.grayProb) };
}

const drawJpeg = (rng: Rng, o: StageOptions) => rng.uniform(o.jpeg[0], o.jpeg[1]);

export function drawPlan(rng: Rng, o: DegradationOptions): DegradationPlan {
  const blur1 = drawStageKernel(rng, o.kernelSizes, o.first.blur);
  const kernel2 = drawStageKernel(rng, o.kernelSizes, o.second.blur);
  const sinc = rng.chance(o.finalSincProb) ? drawFinalSinc(rng, o.kernelSizes) : undefined;
  const resize1 = drawResize(rng, o.first.resize);
  const noise1 = drawNoise(rng, o.first.noise);
  const jpeg1 = drawJpeg(rng, o.first);
  const blur2 = rng.chance(o.secondBlurProb) ? kernel2 : undefined;
  const resize2 = drawResize(rng, o.second.resize);
  const noise2 = drawNoise(rng, o.second.noise);
  const jpegBeforeFinalResize = !rng.chance(0.5);
  const finalMode = rng.choose(RESIZE_MODES);
  const jpeg2 = drawJpeg(rng, o.second);
  return { blur1, resize1, noise1, jpeg1, blur2, resize2, noise2, jpegBeforeFinalResize, finalMode, sinc, jpeg2 };
}
