import type { BatchedRef } from './batched.js';
import { batchNormBackward, batchNormFinalize, batchNormNormalize, statsAt, type BatchNormStats } from './batch-norm-train.js';
import { channelPartials, reduceChunks, reducePartials } from './channel-reduce.js';
import type { KernelCall } from './program.js';

/**
 * BatchNorm2d's training-mode forward and backward as the sequences of dispatches they are
 * (see batch-norm-train.ts for the math). Each reduction uses `scratch` for its partials
 * (`batchNormScratch` floats) and is done before the next starts, so one scratch serves all.
 */
export interface BatchNormTrainDesc {
  x: BatchedRef;
  stats: BatchNormStats;
  weights: { buffer: GPUBuffer; gamma: number; beta: number };
  scratch: { buffer: GPUBuffer; offset: number };
  label?: string;
}

export const batchNormScratch = (x: Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>): number => x.channels * reduceChunks(x).count;

/** Reduces per-channel partials of `mode` into `count`·C values at `output`. */
function channelSum(desc: BatchNormTrainDesc, mode: 'sum' | 'centered_squares' | 'normalized_product', a: BatchedRef, output: { buffer: GPUBuffer; offset: number }, scale: number, limits?: GPUSupportedLimits): KernelCall[] {
  const { x, stats, scratch } = desc;
  const at = statsAt(stats);
  const chunks = reduceChunks(x).count;
  return [
    channelPartials({ mode, a, x, stats: { buffer: stats.buffer, mean: at.mean, invStd: at.invStd }, partials: scratch, label: desc.label }, limits),
    reducePartials({ partials: scratch, groups: x.channels, count: chunks, output, scale, label: desc.label }, limits),
  ];
}

/**
 * Batch mean and variance (two passes), invstd and the running statistics' update, then
 * y = γ·x̂ + β.
 */
export function batchNormForwardCalls(
  desc: BatchNormTrainDesc & { y: BatchedRef; running: { buffer: GPUBuffer; mean: number; variance: number }; eps: number; momentum: number },
  limits?: GPUSupportedLimits,
): KernelCall[] {
  const { x, stats } = desc;
  const count = x.batch * x.height * x.width;
  const at = statsAt(stats);
  return [
    ...channelSum(desc, 'sum', x, { buffer: stats.buffer, offset: at.mean }, 1 / count, limits),
    ...channelSum(desc, 'centered_squares', x, { buffer: stats.buffer, offset: at.variance }, 1 / count, limits),
    batchNormFinalize({ stats, running: desc.running, count, eps: desc.eps, momentum: desc.momentum, label: desc.label }, limits),
    batchNormNormalize({ ...desc, y: desc.y }, limits),
  ];
}

/**
 * gβ = Σ gy and gγ = Σ gy·x̂ into the stats (and into the parameter gradients where given:
 * they are reduced a second time from the same partials), then gx.
 */
export function batchNormBackwardCalls(
  desc: BatchNormTrainDesc & { gy: BatchedRef; gx?: BatchedRef; accumulate: boolean; grads?: { buffer: GPUBuffer; gamma?: number; beta?: number } },
  limits?: GPUSupportedLimits,
): KernelCall[] {
  const { x, gy, stats, scratch, grads } = desc;
  const at = statsAt(stats);
  const chunks = reduceChunks(x).count;
  const again = (offset: number | undefined) =>
    grads && offset !== undefined ? [reducePartials({ partials: scratch, groups: x.channels, count: chunks, output: { buffer: grads.buffer, offset }, label: desc.label }, limits)] : [];
  return [
    ...channelSum(desc, 'sum', gy, { buffer: stats.buffer, offset: at.gradBeta }, 1, limits),
    ...again(grads?.beta),
    ...channelSum(desc, 'normalized_product', gy, { buffer: stats.buffer, offset: at.gradGamma }, 1, limits),
    ...again(grads?.gamma),
    ...(desc.gx ? [batchNormBackward({ ...desc, gy, gx: desc.gx, accumulate: desc.accumulate }, limits)] : []),
  ];
}
