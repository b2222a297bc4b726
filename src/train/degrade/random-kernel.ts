import type { Rng } from '../../rng.js';
import { bivariateKernel, type BlurKernel, type KernelShape } from './kernels.js';
import { SINC_CUTOFF, type BlurKernelType, type BlurOptions, type Range } from './params.js';
import { sincKernel } from './sinc.js';

/**
 * Drawing a stage's blur kernel, as Real-ESRGAN's dataset does for kernel1 and kernel2: a side
 * from kernelSizes; with probability sincProb a sinc low-pass (cut-off in [π/3, π) for sides
 * below 13, [π/5, π) from 13 up); otherwise one of the six kinds of BasicSR's
 * random_mixed_kernels by kernelProb, with σ uniform in `sigma` (both axes for the anisotropic
 * kinds), θ uniform in [−π, π), and β below or above 1 with equal odds (uniform in [lo, 1) or
 * [1, hi)). Real-ESRGAN pads every kernel to 21 × 21 with zeros; that changes no output, so
 * kernels keep their own size here (a 7 × 7 blur costs 49 taps, not 441).
 */

const SHAPE_OF: Record<BlurKernelType, { shape: KernelShape; isotropic: boolean }> = {
  iso: { shape: 'gaussian', isotropic: true },
  aniso: { shape: 'gaussian', isotropic: false },
  generalized_iso: { shape: 'generalized', isotropic: true },
  generalized_aniso: { shape: 'generalized', isotropic: false },
  plateau_iso: { shape: 'plateau', isotropic: true },
  plateau_aniso: { shape: 'plateau', isotropic: false },
};

/** What a drawn kernel is, for logs and tests. */
export type KernelDraw =
  | { kind: 'sinc'; size: number; cutoff: number }
  | { kind: BlurKernelType; size: number; sigmaX: number; sigmaY: number; theta: number; beta: number };

function drawBeta(rng: Rng, range: Range): number {
  return rng.chance(0.5) ? rng.uniform(range[0], 1) : rng.uniform(1, range[1]);
}

/** A stage kernel's parameters (the draws happen here, in this order). */
export function drawStageKernel(rng: Rng, sizes: readonly number[], blur: BlurOptions): KernelDraw {
  const size = rng.choose(sizes);
  if (rng.chance(blur.sincProb)) {
    const [lo, hi] = size < 13 ? SINC_CUTOFF.small : SINC_CUTOFF.large;
    return { kind: 'sinc', size, cutoff: rng.uniform(lo, hi) };
  }
  const kind = rng.choose(blur.kernelList, blur.kernelProb);
  const { shape, isotropic } = SHAPE_OF[kind];
  const sigmaX = rng.uniform(blur.sigma[0], blur.sigma[1]);
  let sigmaY = sigmaX;
  let theta = 0;
  if (!isotropic) {
    sigmaY = rng.uniform(blur.sigma[0], blur.sigma[1]);
    theta = rng.uniform(-Math.PI, Math.PI);
  }
  const beta = shape === 'gaussian' ? 1 : drawBeta(rng, shape === 'generalized' ? blur.betaG : blur.betaP);
  return { kind, size, sigmaX, sigmaY, theta, beta };
}

/** The final sinc filter's parameters: a side from kernelSizes, cut-off in [π/3, π). */
export function drawFinalSinc(rng: Rng, sizes: readonly number[]): KernelDraw {
  const size = rng.choose(sizes);
  return { kind: 'sinc', size, cutoff: rng.uniform(SINC_CUTOFF.final[0], SINC_CUTOFF.final[1]) };
}

export function kernelOf(draw: KernelDraw): BlurKernel {
  if (draw.kind === 'sinc') return sincKernel(draw.cutoff, draw.size);
  const { shape, isotropic } = SHAPE_OF[draw.kind];
  return bivariateKernel(shape, { ...draw, isotropic });
}
