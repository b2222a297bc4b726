/**
 * Real-ESRGAN's practical degradation model as data. The defaults are the published ones:
 * options/train_realesrgan_x4plus.yml (= train_realesrnet_x4plus.yml) of xinntao/Real-ESRGAN,
 * with the constants its dataset and model code hard-wire (realesrgan/data/realesrgan_dataset.py:
 * kernel sizes 7…21, the sinc cut-off ranges; realesrgan/models/realesrgan_model.py: the three
 * resize modes drawn uniformly, the 50/50 order of the last JPEG and the resize-back + sinc).
 */
export const BLUR_KERNEL_TYPES = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'] as const;
export type BlurKernelType = (typeof BLUR_KERNEL_TYPES)[number];

export const RESIZE_MODES = ['area', 'bilinear', 'bicubic'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

export type Range = readonly [number, number];

/** The blur of one stage: a random kernel (or, with sincProb, a sinc low-pass). */
export interface BlurOptions {
  /** Kernel types and their probabilities (BasicSR's random_mixed_kernels). */
  kernelList: readonly BlurKernelType[];
  kernelProb: readonly number[];
  /** σ range (pixels) for both axes of the Gaussian-family kernels. */
  sigma: Range;
  /** Shape β of the generalized Gaussian; half the draws below 1, half above. */
  betaG: Range;
  /** Shape β of the plateau kernel; drawn like betaG. */
  betaP: Range;
  /** Probability that the stage's kernel is a circular sinc low-pass instead. */
  sincProb: number;
}

export interface ResizeOptions {
  /** Probabilities of scaling up, down, or keeping the size. */
  prob: readonly [number, number, number];
  /** Scale range: up draws from [1, hi), down from [lo, 1). */
  range: Range;
}

export interface NoiseOptions {
  /** Probability of Gaussian noise; otherwise Poisson noise. */
  gaussianProb: number;
  /** Gaussian σ on the 0…255 scale. */
  sigma: Range;
  /** Poisson noise multiplier. */
  poissonScale: Range;
  /** Probability that the noise is the same in all three channels (gray noise). */
  grayProb: number;
}

export interface StageOptions {
  blur: BlurOptions;
  resize: ResizeOptions;
  noise: NoiseOptions;
  /** JPEG quality range. */
  jpeg: Range;
}

export interface DegradationOptions {
  /** Kernel side lengths, odd; drawn uniformly (7…21). */
  kernelSizes: readonly number[];
  first: StageOptions;
  /** Probability that the second stage blurs at all. */
  secondBlurProb: number;
  second: StageOptions;
  /** Probability of the final sinc filter (otherwise the identity). */
  finalSincProb: number;
}

const KERNEL_PROB = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03] as const;

export const REALESRGAN_DEFAULTS: DegradationOptions = {
  kernelSizes: [7, 9, 11, 13, 15, 17, 19, 21],
  first: {
    blur: { kernelList: BLUR_KERNEL_TYPES, kernelProb: KERNEL_PROB, sigma: [0.2, 3], betaG: [0.5, 4], betaP: [1, 2], sincProb: 0.1 },
    resize: { prob: [0.2, 0.7, 0.1], range: [0.15, 1.5] },
    noise: { gaussianProb: 0.5, sigma: [1, 30], poissonScale: [0.05, 3], grayProb: 0.4 },
    jpeg: [30, 95],
  },
  secondBlurProb: 0.8,
  second: {
    blur: { kernelList: BLUR_KERNEL_TYPES, kernelProb: KERNEL_PROB, sigma: [0.2, 1.5], betaG: [0.5, 4], betaP: [1, 2], sincProb: 0.1 },
    resize: { prob: [0.3, 0.4, 0.3], range: [0.3, 1.2] },
    noise: { gaussianProb: 0.5, sigma: [1, 25], poissonScale: [0.05, 2.5], grayProb: 0.4 },
    jpeg: [30, 95],
  },
  finalSincProb: 0.8,
};

/** Real-ESRGAN's sinc cut-off ω_c ranges: narrower for small kernels, where a low cut-off rings less. */
export const SINC_CUTOFF = {
  /** Stage kernels smaller than 13 taps. */
  small: [Math.PI / 3, Math.PI] as Range,
  /** Stage kernels of 13 taps and more. */
  large: [Math.PI / 5, Math.PI] as Range,
  /** The final sinc filter, whatever its size. */
  final: [Math.PI / 3, Math.PI] as Range,
};
