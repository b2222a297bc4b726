import { WgsrError } from '../errors.js';
import { batchedFields, batchedValues, checkBatched, checkSameBatchShape, batchesOverlap, type BatchedRef } from './batched.js';
import { reduceChunks, reducePartials, REDUCE_FIELDS, reductionBody } from './channel-reduce.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * The training losses, reduction 'mean' over every element of the batch (torch's l1_loss and
 * mse_loss), value and gradient in one pass over the prediction:
 *   L1:  L = Σ|p − t| / n,   dL/dp = sign(p − t) / n   (sign(0) = 0, as torch has it)
 *   MSE: L = Σ(p − t)² / n,  dL/dp = 2·(p − t) / n
 * `lossPartials` writes the gradient and one partial sum per workgroup (channel-reduce.ts's
 * deterministic scheme); `lossValue` adds the partials up in order and divides by n.
 */
export type LossKind = 'l1' | 'mse';

export interface LossDesc {
  kind: LossKind;
  prediction: BatchedRef;
  target: BatchedRef;
  /** dL/d(prediction), written (not accumulated). */
  gradient: BatchedRef;
  partials: { buffer: GPUBuffer; offset: number };
  label?: string;
}

const PARAMS = uniformStruct('LossParams', [...REDUCE_FIELDS, ...batchedFields('g'), { name: 'inv_n', type: 'f32' }]);

const TERMS: Record<LossKind, string> = {
  l1: 'let f = abs(d);\ngrads[gi] = sign(d) * u.inv_n;',
  mse: 'let f = d * d;\ngrads[gi] = 2.0 * d * u.inv_n;',
};

const variants = new Map<LossKind, KernelVariant>();

function variantFor(kind: LossKind): KernelVariant {
  let v = variants.get(kind);
  if (!v) {
    v = defineKernel({
      key: `loss ${kind}`,
      storage: [
        { name: 'as_', type: 'array<f32>', kind: 'storage' },
        { name: 'xs', type: 'array<f32>', kind: 'storage' },
        { name: 'grads', type: 'array<f32>', kind: 'storage' },
        { name: 'partials', type: 'array<f32>', kind: 'storage' },
      ],
      uniforms: PARAMS,
      body: reductionBody(`let d = a - xs[xi];
let gi = u.g_off + b * u.g_stride + c * u.plane + p;
${TERMS[kind]}`),
    });
    variants.set(kind, v);
  }
  return v;
}

/** Partials of the loss (one per channel and chunk: `lossPartialCount`), and the gradient. */
export function lossPartials(desc: LossDesc, limits?: GPUSupportedLimits): KernelCall {
  const { kind, prediction: p, target: t, gradient: g, partials } = desc;
  const name = desc.label ? `${kind} loss "${desc.label}"` : `${kind} loss`;
  if (kind !== 'l1' && kind !== 'mse') throw new WgsrError('BAD_ARGUMENT', `${name}: unknown loss "${String(kind)}"; use "l1" or "mse"`);
  for (const [role, x] of [['prediction', p], ['target', t], ['gradient', g]] as const) checkBatched(name, role, x, limits);
  checkSameBatchShape(name, 'target', t, 'prediction', p);
  checkSameBatchShape(name, 'gradient', g, 'prediction', p);
  if (batchesOverlap(g, t) || (batchesOverlap(g, p) && g.offset !== p.offset)) throw new WgsrError('BAD_ARGUMENT', `${name}: the gradient overlaps the target or part of the prediction`);
  checkBindable(`${name}: partials`, partials.buffer, limits);
  const chunks = reduceChunks(p);
  const n = p.batch * p.channels * p.height * p.width;
  return {
    variant: variantFor(kind),
    storage: [p.buffer, t.buffer, g.buffer, partials.buffer],
    uniforms: PARAMS.pack({
      ...batchedValues('a', p),
      ...batchedValues('x', t),
      ...batchedValues('g', g),
      plane: p.height * p.width,
      seg_len: chunks.segmentLength,
      segs: chunks.segments,
      chunks: chunks.count,
      partial_off: partials.offset,
      mean_off: 0,
      invstd_off: 0,
      inv_n: 1 / n,
    } as never),
    workgroups: [chunks.count, p.channels, 1],
    label: desc.label,
  };
}

export const lossPartialCount = (prediction: Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>): number => prediction.channels * reduceChunks(prediction).count;

/** The loss value: the partials of `lossPartials` added up in order, divided by n, into `output`. */
export function lossValue(
  prediction: Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>,
  partials: { buffer: GPUBuffer; offset: number },
  output: { buffer: GPUBuffer; offset: number },
  limits?: GPUSupportedLimits,
): KernelCall {
  const n = prediction.batch * prediction.channels * prediction.height * prediction.width;
  return reducePartials({ partials, groups: 1, count: lossPartialCount(prediction), output, scale: 1 / n, label: 'loss' }, limits);
}
