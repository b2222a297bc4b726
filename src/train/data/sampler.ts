import { WgsrError } from '../../errors.js';
import { degradeWithPlan } from '../degrade/chain.js';
import { jpegLossyCodec } from '../degrade/jpeg-lossy.js';
import type { JpegCodec } from '../degrade/jpeg.js';
import { REALESRGAN_DEFAULTS, type DegradationOptions } from '../degrade/params.js';
import { drawPlan } from '../degrade/plan.js';
import { emptyBatch, type TrainingBatch } from './batch.js';
import { cropPlanes, drawAugment } from './crop.js';
import type { DegradeMode, PreparedPair } from './images.js';
import { planar } from './planar.js';
import { Rng } from '../../rng.js';
import type { ImageSource } from './source.js';

/**
 * Training batches from an image source: random aligned crops, BasicSR's flips and rotations,
 * and, with degrade 'realesrgan', Real-ESRGAN's degradations made from each HR crop.
 *
 * Reproducible by construction: sample k of the run (k = batch·batchSize + i) takes its image
 * from epoch ⌊k/count⌋'s shuffle (every image once per epoch, as BasicSR's shuffled loader) and
 * all its randomness (crop, flips, degradation) from its own stream Rng.derive(seed, 1, k).
 * So batch b is a pure function of (seed, b, options): the state to save is { seed, batch },
 * a resumed run makes exactly the batches the uninterrupted one would have, and batches may be
 * made ahead of time, in any order, in another thread.
 */
export interface SamplerState {
  readonly seed: number;
  /** The next batch to make. */
  readonly batch: number;
}

export interface PatchSamplerOptions {
  scale: number;
  /** LR patch side; HR patches are patch·scale. */
  patch: number;
  batchSize: number;
  seed: number;
  /** 'none' and 'bicubic' crop the pairs' LR images; 'realesrgan' makes LR from the HR crops. */
  degrade: DegradeMode;
  /**
   * With 'realesrgan': the probability that a sample's LR is instead the crop of the pair's clean
   * bicubic LR (prepareTrainingPair makes it when asked). Real-ESRGAN trains on degraded LR only,
   * which teaches a small network to sharpen and denoise everything, and it then does worse than
   * bicubic on clean input; a share of clean samples keeps it good at both. Default 0: no draw
   * is made, so the samples are exactly Real-ESRGAN's.
   */
  cleanProb?: number;
  /** Horizontal flips (default true). */
  hflip?: boolean;
  /** Vertical flips and transposes, i.e. 90° rotations (default true). */
  rotate?: boolean;
  degradation?: DegradationOptions;
  /** JPEG for the degradations (default: jpegLossyCodec, libjpeg's lossy steps). */
  codec?: JpegCodec;
  /** Told how long each degradation step took (ms), for benchmarks. */
  timeSteps?: (step: string, ms: number) => void;
}

export interface PatchSampler {
  /** The batch after the last one made (the first: state.batch of the options). */
  next(): Promise<TrainingBatch>;
  /** Batch `index` of the run, without moving `next`. */
  batch(index: number): Promise<TrainingBatch>;
  /** What to save to resume: the next batch `next` makes. */
  state(): SamplerState;
}

function checkOptions(o: PatchSamplerOptions): void {
  for (const [name, v] of [['scale', o.scale], ['patch', o.patch], ['batch size', o.batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new WgsrError('BAD_ARGUMENT', `the ${name} must be a whole number ≥ 1, got ${v}`);
  }
  if (!['none', 'bicubic', 'realesrgan'].includes(o.degrade)) throw new WgsrError('BAD_ARGUMENT', `degrade must be none, bicubic or realesrgan, got ${String(o.degrade)}`);
  const p = o.cleanProb ?? 0;
  if (!(p >= 0 && p <= 1)) throw new WgsrError('BAD_ARGUMENT', `the share of clean samples must be a number in [0, 1], got ${p}`);
  if (p > 0 && o.degrade !== 'realesrgan') throw new WgsrError('BAD_ARGUMENT', `a share of clean samples mixes clean LR into degrade realesrgan; with degrade ${o.degrade} every sample is already ${o.degrade === 'bicubic' ? 'clean' : 'the given LR'}`);
}

/** One sample into slot i of the batch arrays. */
async function makeSample(pair: PreparedPair, rng: Rng, o: PatchSamplerOptions, lr: Float32Array, hr: Float32Array, i: number): Promise<void> {
  const { scale, patch } = o;
  const left = rng.int(0, pair.lrWidth - patch);
  const top = rng.int(0, pair.lrHeight - patch);
  const aug = drawAugment(rng, o.hflip ?? true, o.rotate ?? true);
  const big = patch * scale;
  cropPlanes(pair.hr, left * scale, top * scale, big, aug, hr, i * 3 * big * big);
  const clean = o.degrade === 'realesrgan' && (o.cleanProb ?? 0) > 0 && rng.chance(o.cleanProb!);
  if (o.degrade !== 'realesrgan' || clean) {
    if (!pair.lr) throw new WgsrError('BAD_ARGUMENT', `${pair.name} has no LR image (prepare pairs with prepareTrainingPair for degrade ${o.degrade}${clean ? ', keeping the clean LR' : ''})`);
    cropPlanes(pair.lr, left, top, patch, aug, lr, i * 3 * patch * patch);
    return;
  }
  const hrPlanes = planar(3, big, big, hr.subarray(i * 3 * big * big, (i + 1) * 3 * big * big));
  const plan = drawPlan(rng, o.degradation ?? REALESRGAN_DEFAULTS);
  const out = await degradeWithPlan(hrPlanes, plan, rng, { scale, codec: o.codec ?? jpegLossyCodec, time: o.timeSteps });
  lr.set(out.data, i * 3 * patch * patch);
}

export function createPatchSampler(source: ImageSource, options: PatchSamplerOptions, resume?: SamplerState): PatchSampler {
  checkOptions(options);
  const seed = resume?.seed ?? options.seed;
  if (resume && resume.seed !== options.seed) {
    throw new WgsrError('BAD_ARGUMENT', `the saved data state has seed ${resume.seed} but this run asks for seed ${options.seed}; resume with the same seed`);
  }
  let nextIndex = resume?.batch ?? 0;
  if (!Number.isSafeInteger(nextIndex) || nextIndex < 0) throw new WgsrError('BAD_ARGUMENT', `the saved data state's batch index ${nextIndex} is not a whole number ≥ 0`);
  let epochCache: { epoch: number; order: Uint32Array } | undefined;
  const imageOf = (k: number) => {
    const epoch = Math.floor(k / source.count);
    if (epochCache?.epoch !== epoch) epochCache = { epoch, order: Rng.derive(seed, 0, epoch).permutation(source.count) };
    return epochCache.order[k % source.count]!;
  };
  const batch = async (index: number): Promise<TrainingBatch> => {
    const { batchSize: n, patch, scale } = options;
    const lr = emptyBatch(n, 3, patch, patch);
    const hr = emptyBatch(n, 3, patch * scale, patch * scale);
    for (let i = 0; i < n; i++) {
      const k = index * n + i;
      await makeSample(await source.get(imageOf(k)), Rng.derive(seed, 1, k), options, lr.data, hr.data, i);
    }
    return { index, lr, hr };
  };
  return {
    next: () => batch(nextIndex++),
    batch,
    state: () => ({ seed, batch: nextIndex }),
  };
}
