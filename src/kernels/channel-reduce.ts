import { WgsrError } from '../errors.js';
import { batchedFields, batchedValues, checkBatched, checkSameBatchShape, linearGrid, type BatchedRef } from './batched.js';
import { defineKernel, type KernelCall, type KernelVariant, type StorageBinding } from './program.js';
import { uniformStruct, type UniformField } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * Sums over a batch per channel, deterministically, in two passes and no atomics:
 *
 * 1. `channelPartials`: workgroup (chunk, c) sums f(element) over one segment of one image's
 *    plane of channel c: invocation t takes elements t, t + 64, …, then the workgroup adds its 64
 *    sums as a tree in workgroup memory, always in the same order. Partial (c, chunk) goes to
 *    `partials[offset + c·chunks + chunk]`, chunks = images × segments.
 * 2. `reducePartials`: output o is the sum of `count` consecutive partials, added one after the
 *    other (o·count, o·count + 1, …), times `scale`.
 *
 * Same shapes, same order of additions, same result, run after run and adapter after adapter
 * that rounds the same way. f(element) is one of the modes below; the training step uses them
 * for conv bias gradients (`sum` of gy), PReLU slope gradients, BatchNorm's statistics and
 * gradients, and the global gradient norm (`sum_squares`).
 */
export type ReduceMode =
  /** Σ a */
  | 'sum'
  /** Σ a² */
  | 'sum_squares'
  /** Σ (a − mean[c])², mean from `stats` */
  | 'centered_squares'
  /** Σ_{x ≤ 0} a·x: PReLU's slope gradient, a = gy, x = the activation's input */
  | 'prelu_slope'
  /** Σ a·(x − mean[c])·invstd[c]: BatchNorm's γ gradient, a = gy */
  | 'normalized_product';

export const REDUCE_WORKGROUP = 64;

/** Elements one workgroup sums at most (a segment of a plane). */
const SEGMENT = 4096;

export interface ChannelPartialsDesc {
  mode: ReduceMode;
  a: BatchedRef;
  /** The second tensor (prelu_slope, normalized_product), same shape as a. */
  x?: BatchedRef;
  /** mean[c] at `mean`, invstd[c] at `invStd` (element offsets) of `buffer`. */
  stats?: { buffer: GPUBuffer; mean: number; invStd: number };
  partials: { buffer: GPUBuffer; offset: number };
  label?: string;
}

/** How a batch of shape `t` is cut into chunks; `count` partials per channel. */
export function reduceChunks(t: Pick<BatchedRef, 'batch' | 'height' | 'width'>): { segmentLength: number; segments: number; count: number } {
  const plane = t.height * t.width;
  let segmentLength = Math.min(plane, SEGMENT);
  while (t.batch * Math.ceil(plane / segmentLength) > 65535) segmentLength *= 2;
  const segments = Math.ceil(plane / segmentLength);
  return { segmentLength, segments, count: t.batch * segments };
}

export const REDUCE_FIELDS: UniformField[] = [
  ...batchedFields('a'),
  ...batchedFields('x'),
  { name: 'plane', type: 'u32' },
  { name: 'seg_len', type: 'u32' },
  { name: 'segs', type: 'u32' },
  { name: 'chunks', type: 'u32' },
  { name: 'partial_off', type: 'u32' },
  { name: 'mean_off', type: 'u32' },
  { name: 'invstd_off', type: 'u32' },
];

const PARAMS = uniformStruct('ChannelPartialsParams', REDUCE_FIELDS);

const TERMS: Record<ReduceMode, string> = {
  sum: 'let f = a;',
  sum_squares: 'let f = a * a;',
  centered_squares: 'let d = a - stats[u.mean_off + c];\nlet f = d * d;',
  prelu_slope: 'let xv = xs[xi];\nlet f = select(0.0, a * xv, xv <= 0.0);',
  normalized_product: 'let f = a * (xs[xi] - stats[u.mean_off + c]) * stats[u.invstd_off + c];',
};

/**
 * The WGSL of a pass-1 kernel: for every element of the workgroup's segment, `term` (WGSL
 * statements that see `a`, `ai`, `xi`, `c` and declare `f`) is added up, then the workgroup's
 * sum is stored. loss.ts builds its kernel on it too.
 */
export function reductionBody(term: string): string {
  return `var<workgroup> sums: array<f32, ${REDUCE_WORKGROUP}>;

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let chunk = wid.x;
  let c = wid.y;
  let b = chunk / u.segs;
  let start = (chunk % u.segs) * u.seg_len;
  let end = min(start + u.seg_len, u.plane);
  let abase = u.a_off + b * u.a_stride + c * u.plane;
  let xbase = u.x_off + b * u.x_stride + c * u.plane;
  var acc = 0.0;
  for (var p = start + t; p < end; p += ${REDUCE_WORKGROUP}u) {
    let ai = abase + p;
    let xi = xbase + p;
    let a = as_[ai];
${term
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
    acc += f;
  }
  sums[t] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    if (t < s) { sums[t] += sums[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) { partials[u.partial_off + c * u.chunks + chunk] = sums[0]; }
}
`;
}

const variants = new Map<ReduceMode, KernelVariant>();

function variantFor(mode: ReduceMode): KernelVariant {
  let v = variants.get(mode);
  if (!v) {
    const storage: StorageBinding[] = [
      { name: 'as_', type: 'array<f32>', kind: 'storage' },
      { name: 'xs', type: 'array<f32>', kind: 'storage' },
      // read_write like the tensors, so that a mode without statistics can bind the input's
      // buffer here (see shareRepeatedBuffers): WebGPU refuses one buffer bound read-only and
      // writable in the same dispatch.
      { name: 'stats', type: 'array<f32>', kind: 'storage' },
      { name: 'partials', type: 'array<f32>', kind: 'storage' },
    ];
    v = defineKernel({ key: `channel_partials ${mode}`, storage, uniforms: PARAMS, body: reductionBody(TERMS[mode]) });
    variants.set(mode, v);
  }
  return v;
}

export function channelPartials(desc: ChannelPartialsDesc, limits?: GPUSupportedLimits): KernelCall {
  const { mode, a, stats, partials } = desc;
  const name = desc.label ? `${mode} partials "${desc.label}"` : `${mode} partials`;
  checkBatched(name, 'input', a, limits);
  const needsX = mode === 'prelu_slope' || mode === 'normalized_product';
  const needsStats = mode === 'centered_squares' || mode === 'normalized_product';
  if (needsX && !desc.x) throw new WgsrError('BAD_ARGUMENT', `${name}: needs its second tensor`);
  if (needsStats && !stats) throw new WgsrError('BAD_ARGUMENT', `${name}: needs the batch statistics`);
  const x = needsX ? desc.x! : a;
  if (needsX) {
    checkBatched(name, 'second input', x, limits);
    checkSameBatchShape(name, 'second input', x, 'input', a);
  }
  checkBindable(`${name}: partials`, partials.buffer, limits);
  const { segmentLength, segments, count } = reduceChunks(a);
  if ((partials.offset + a.channels * count) * 4 > partials.buffer.size) throw new WgsrError('BAD_ARGUMENT', `${name}: the partials do not fit their buffer`);
  if (a.channels > 65535) throw new WgsrError('BAD_ARGUMENT', `${name}: ${a.channels} channels, more than one dispatch covers`);
  const statsBuffer = stats?.buffer ?? a.buffer;
  return {
    variant: variantFor(mode),
    storage: [a.buffer, x.buffer, statsBuffer, partials.buffer],
    uniforms: PARAMS.pack({
      ...batchedValues('a', a),
      ...batchedValues('x', x),
      plane: a.height * a.width,
      seg_len: segmentLength,
      segs: segments,
      chunks: count,
      partial_off: partials.offset,
      mean_off: stats?.mean ?? 0,
      invstd_off: stats?.invStd ?? 0,
    } as never),
    workgroups: [count, a.channels, 1],
    label: desc.label,
  };
}

const REDUCE_PARAMS = uniformStruct('ReducePartialsParams', [
  { name: 'groups', type: 'u32' },
  { name: 'count', type: 'u32' },
  { name: 'partial_off', type: 'u32' },
  { name: 'out_off', type: 'u32' },
  { name: 'row', type: 'u32' },
  { name: 'scale', type: 'f32' },
  { name: 'accumulate', type: 'u32' },
] as const);

const reduceVariant = defineKernel({
  key: 'reduce_partials',
  storage: [
    { name: 'partials', type: 'array<f32>', kind: 'storage' },
    { name: 'outs', type: 'array<f32>', kind: 'storage' },
  ],
  uniforms: REDUCE_PARAMS,
  body: `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let o = gid.x + gid.y * u.row;
  if (o >= u.groups) { return; }
  let base = u.partial_off + o * u.count;
  var acc = 0.0;
  for (var j = 0u; j < u.count; j++) { acc += partials[base + j]; }
  var v = u.scale * acc;
  if (u.accumulate != 0u) { v += outs[u.out_off + o]; }
  outs[u.out_off + o] = v;
}
`,
});

export interface ReducePartialsDesc {
  partials: { buffer: GPUBuffer; offset: number };
  /** Outputs, each the sum of `count` consecutive partials. */
  groups: number;
  count: number;
  output: { buffer: GPUBuffer; offset: number };
  scale?: number;
  accumulate?: boolean;
  label?: string;
}

export function reducePartials(desc: ReducePartialsDesc, limits?: GPUSupportedLimits): KernelCall {
  const { partials, output, groups, count } = desc;
  const name = desc.label ? `reduce "${desc.label}"` : 'reduce';
  if (!Number.isInteger(groups) || groups < 1 || !Number.isInteger(count) || count < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: ${groups} groups of ${count}`);
  if ((partials.offset + groups * count) * 4 > partials.buffer.size) throw new WgsrError('BAD_ARGUMENT', `${name}: reads past the partials' buffer`);
  if ((output.offset + groups) * 4 > output.buffer.size) throw new WgsrError('BAD_ARGUMENT', `${name}: writes past the output's buffer`);
  if (partials.buffer === output.buffer) throw new WgsrError('BAD_ARGUMENT', `${name}: partials and output share a buffer`);
  checkBindable(`${name}: partials`, partials.buffer, limits);
  checkBindable(`${name}: output`, output.buffer, limits);
  const grid = linearGrid(groups, 64);
  return {
    variant: reduceVariant,
    storage: [partials.buffer, output.buffer],
    uniforms: REDUCE_PARAMS.pack({
      groups,
      count,
      partial_off: partials.offset,
      out_off: output.offset,
      row: grid.rowLength,
      scale: desc.scale ?? 1,
      accumulate: desc.accumulate ? 1 : 0,
    }),
    workgroups: grid.workgroups,
    label: desc.label,
  };
}
