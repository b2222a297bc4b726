import { WgsrError } from '../errors.js';
import { checkBatched, checkSameBatchShape, type BatchedRef } from './batched.js';
import { emitWeightGradLoop, type WeightGradSpec } from './conv2d-weight-grad-wgsl.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import { uniformStruct } from './uniforms.js';
import { ceilDiv, checkBindable } from './validate.js';

/**
 * The weight (and bias) gradient of a stride-1 "same" conv, over a batch:
 *   gw[o, i, ky, kx] = Σ_{b, y, x} gy[b, o, y, x] · x[b, i, y + ky − p, x + kx − p]
 *   gb[o]            = Σ_{b, y, x} gy[b, o, y, x]
 * a reduction over every pixel of every image, done deterministically in two passes: each
 * workgroup sums one band of rows of one image (a *chunk*) and writes its partial sums; then
 * reducePartials (channel-reduce.ts) adds the chunks up in order for every weight. No atomics,
 * so the same batch gives the same bits every time.
 *
 * Partial layout: element e of the gradient (PyTorch's [cout, cin, k, k] order, then the bias's
 * cout values) and chunk j at `partials[offset + e·chunks + j]`, so reducePartials(groups =
 * elements, count = chunks) writes weight then bias gradient contiguously.
 *
 * `x` is the conv's own input: a conv that reads its input through a fused transform
 * (upsampling, pixel-unshuffle) has it materialised first (gather.ts), only for the backward.
 * The kernel's inner loop is in conv2d-weight-grad-wgsl.ts.
 */
export interface WeightGradDesc {
  x: BatchedRef;
  gy: BatchedRef;
  kernelSize: number;
  /** Also the bias gradient (cout more partials per chunk). */
  withBias: boolean;
  partials: { buffer: GPUBuffer; offset: number };
  /** Subgroup size to share the gy loads over (0: none), as the device's conv kernels use. */
  subgroupSize: number;
  label?: string;
}

/** Rows of an image one workgroup sums. */
export const WEIGHT_GRAD_BAND = 8;
/** Input channels per workgroup: one per invocation. */
export const WEIGHT_GRAD_LANES = 32;

const PARAMS = uniformStruct('WeightGradParams', [
  { name: 'x_off', type: 'u32' },
  { name: 'x_stride', type: 'u32' },
  { name: 'gy_off', type: 'u32' },
  { name: 'gy_stride', type: 'u32' },
  { name: 'cin', type: 'u32' },
  { name: 'cout', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'bands', type: 'u32' },
  { name: 'chunks', type: 'u32' },
  { name: 'k_blocks', type: 'u32' },
  { name: 'partial_off', type: 'u32' },
  { name: 'with_bias', type: 'u32' },
] as const);

/** Output channels per invocation and kernel rows per invocation, by kernel size. */
export function weightGradTile(k: number): { outChannels: number; kernelRows: number } {
  if (k === 1) return { outChannels: 16, kernelRows: 1 };
  if (k <= 3) return { outChannels: 8, kernelRows: k };
  return { outChannels: 8, kernelRows: 1 };
}

export function weightGradShape(x: Pick<BatchedRef, 'batch' | 'channels' | 'height'>, cout: number, k: number, withBias: boolean) {
  const bands = ceilDiv(x.height, WEIGHT_GRAD_BAND);
  const chunks = x.batch * bands;
  const elements = cout * x.channels * k * k + (withBias ? cout : 0);
  return { bands, chunks, elements, partials: chunks * elements };
}

const variants = new Map<string, KernelVariant>();

function variantFor(spec: WeightGradSpec): KernelVariant {
  const key = `conv2d_weight_grad k${spec.k} o${spec.outChannels} r${spec.kernelRows} ${spec.vec ? 'vec4' : 'scalar'} sg${spec.subgroup}`;
  let v = variants.get(key);
  if (!v) {
    const tensor = spec.vec ? 'array<vec4f>' : 'array<f32>';
    v = defineKernel({
      key,
      directives: spec.subgroup ? 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n' : '',
      storage: [
        { name: 'xs', type: tensor, kind: 'storage' },
        { name: 'gys', type: tensor, kind: 'storage' },
        { name: 'partials', type: 'array<f32>', kind: 'storage' },
      ],
      uniforms: PARAMS,
      body: emitWeightGradLoop(spec, WEIGHT_GRAD_LANES, WEIGHT_GRAD_BAND),
    });
    variants.set(key, v);
  }
  return v;
}

/** Every image row, offset and stride is a multiple of 4 elements: whole vec4 loads work. */
function vec4Aligned(...ts: BatchedRef[]): boolean {
  return ts.every((t) => t.width % 4 === 0 && t.offset % 4 === 0 && (t.batch === 1 || t.batchStride % 4 === 0));
}

export function conv2dWeightGrad(desc: WeightGradDesc, limits?: GPUSupportedLimits): KernelCall {
  const { x, gy, kernelSize: k, partials } = desc;
  const name = desc.label ? `conv2d weight gradient "${desc.label}"` : 'conv2d weight gradient';
  if (!Number.isInteger(k) || k < 1 || k % 2 !== 1 || k > 9) throw new WgsrError('BAD_ARGUMENT', `${name}: kernel size ${k}; odd sizes up to 9 are supported`);
  checkBatched(name, 'x', x, limits);
  checkBatched(name, 'gy', gy, limits);
  checkSameBatchShape(name, 'gy (spatially)', { ...gy, channels: 1 }, 'x', { ...x, channels: 1 });
  checkBindable(`${name}: partials`, partials.buffer, limits);
  if (partials.buffer === x.buffer || partials.buffer === gy.buffer) throw new WgsrError('BAD_ARGUMENT', `${name}: the partials need a buffer of their own`);
  const cout = gy.channels;
  const shape = weightGradShape(x, cout, k, desc.withBias);
  if ((partials.offset + shape.partials) * 4 > partials.buffer.size) throw new WgsrError('BAD_ARGUMENT', `${name}: ${shape.partials} partials do not fit their buffer`);
  const tile = weightGradTile(k);
  const vec = vec4Aligned(x, gy);
  const kBlocks = k / tile.kernelRows;
  const groupsY = ceilDiv(cout, tile.outChannels) * kBlocks;
  if (shape.chunks > 65535 || groupsY > 65535) throw new WgsrError('BAD_ARGUMENT', `${name}: the batch or the channel count is too large for one dispatch`);
  const scale = vec ? 4 : 1;
  return {
    // Lanes past the workgroup's 32 would not exist to broadcast from.
    variant: variantFor({ k, outChannels: tile.outChannels, kernelRows: tile.kernelRows, vec, subgroup: desc.subgroupSize <= WEIGHT_GRAD_LANES ? desc.subgroupSize : 0 }),
    storage: [x.buffer, gy.buffer, partials.buffer],
    uniforms: PARAMS.pack({
      // With vec4 loads, offsets and strides count vec4s.
      x_off: x.offset / scale,
      x_stride: x.batchStride / scale,
      gy_off: gy.offset / scale,
      gy_stride: gy.batchStride / scale,
      cin: x.channels,
      cout,
      height: x.height,
      width: x.width,
      bands: shape.bands,
      chunks: shape.chunks,
      k_blocks: kBlocks,
      partial_off: partials.offset,
      with_bias: desc.withBias ? 1 : 0,
    }),
    workgroups: [ceilDiv(x.channels, WEIGHT_GRAD_LANES), groupsY, shape.chunks],
    label: desc.label,
  };
}
