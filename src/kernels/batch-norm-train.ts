import { WgsrError } from '../errors.js';
import { batchedFields, batchedGrid, batchedIndex, batchedPixelKernel, batchedValues, checkBatched, checkSameBatchShape, linearGrid, type BatchedRef } from './batched.js';
import { defineKernel, type KernelCall } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * BatchNorm2d in training mode. Per channel c, over the M = N·H·W values of the batch:
 *   μ = mean(x),  σ² = mean((x − μ)²) (biased),  x̂ = (x − μ)/sqrt(σ² + eps),  y = γ·x̂ + β
 *   backward:  gβ = Σ gy,  gγ = Σ gy·x̂,  gx = γ/sqrt(σ² + eps) · (gy − gβ/M − x̂·gγ/M)
 *   running:   r_μ ← (1 − m)·r_μ + m·μ,  r_σ² ← (1 − m)·r_σ² + m·σ²·M/(M − 1)  (unbiased)
 * The sums are channel-reduce.ts's (two passes, as torch does: the mean, then the squared
 * deviations from it, which keeps the digits E[x²] − μ² would lose). This file has the three
 * per-element or per-channel steps around them. A node's statistics live at fixed offsets of a
 * `stats` buffer: mean, var, invstd, gβ, gγ, C values each (`BatchNormStats`).
 */
export interface BatchNormStats {
  readonly buffer: GPUBuffer;
  readonly channels: number;
  /** Element offset of the node's block of 5·C values. */
  readonly offset: number;
}

export const statsAt = (s: BatchNormStats) => ({
  mean: s.offset,
  variance: s.offset + s.channels,
  invStd: s.offset + 2 * s.channels,
  gradBeta: s.offset + 3 * s.channels,
  gradGamma: s.offset + 4 * s.channels,
});

const FINALIZE_PARAMS = uniformStruct('BatchNormFinalizeParams', [
  { name: 'channels', type: 'u32' },
  { name: 'mean_off', type: 'u32' },
  { name: 'var_off', type: 'u32' },
  { name: 'invstd_off', type: 'u32' },
  { name: 'rmean_off', type: 'u32' },
  { name: 'rvar_off', type: 'u32' },
  { name: 'eps', type: 'f32' },
  { name: 'momentum', type: 'f32' },
  /** M / (M − 1): the biased variance to the unbiased one. */
  { name: 'unbias', type: 'f32' },
] as const);

const finalizeVariant = defineKernel({
  key: 'batch_norm_finalize',
  storage: [
    { name: 'stats', type: 'array<f32>', kind: 'storage' },
    { name: 'running', type: 'array<f32>', kind: 'storage' },
  ],
  uniforms: FINALIZE_PARAMS,
  body: `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= u.channels) { return; }
  let mean = stats[u.mean_off + c];
  let variance = stats[u.var_off + c];
  stats[u.invstd_off + c] = 1.0 / sqrt(variance + u.eps);
  let m = u.momentum;
  running[u.rmean_off + c] = (1.0 - m) * running[u.rmean_off + c] + m * mean;
  running[u.rvar_off + c] = (1.0 - m) * running[u.rvar_off + c] + m * variance * u.unbias;
}
`,
});

/**
 * invstd from the batch variance (already reduced into the stats), and the running statistics'
 * update (`running` holds running_mean and running_var at the given element offsets).
 */
export function batchNormFinalize(
  desc: { stats: BatchNormStats; running: { buffer: GPUBuffer; mean: number; variance: number }; count: number; eps: number; momentum: number; label?: string },
  limits?: GPUSupportedLimits,
): KernelCall {
  const { stats, running, count } = desc;
  const name = desc.label ? `batch norm statistics "${desc.label}"` : 'batch norm statistics';
  if (count < 2) throw new WgsrError('BAD_ARGUMENT', `${name}: training mode needs more than one value per channel (batch × height × width = ${count})`);
  if (stats.buffer === running.buffer) throw new WgsrError('BAD_ARGUMENT', `${name}: statistics and running statistics need a buffer each`);
  checkBindable(name, stats.buffer, limits);
  checkBindable(name, running.buffer, limits);
  const at = statsAt(stats);
  return {
    variant: finalizeVariant,
    storage: [stats.buffer, running.buffer],
    uniforms: FINALIZE_PARAMS.pack({
      channels: stats.channels,
      mean_off: at.mean,
      var_off: at.variance,
      invstd_off: at.invStd,
      rmean_off: running.mean,
      rvar_off: running.variance,
      eps: desc.eps,
      momentum: desc.momentum,
      unbias: count / (count - 1),
    }),
    workgroups: linearGrid(stats.channels, 64).workgroups,
    label: desc.label,
  };
}

const ELEMENT_PARAMS = uniformStruct('BatchNormElementParams', [
  ...batchedFields('x'),
  ...batchedFields('gy'),
  ...batchedFields('out'),
  { name: 'channels', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'mean_off', type: 'u32' },
  { name: 'invstd_off', type: 'u32' },
  { name: 'gbeta_off', type: 'u32' },
  { name: 'ggamma_off', type: 'u32' },
  { name: 'gamma_off', type: 'u32' },
  { name: 'beta_off', type: 'u32' },
  { name: 'inv_m', type: 'f32' },
  { name: 'accumulate', type: 'u32' },
] as const);

/** x, gy (the backward's), out (y or gx), stats, the weights holding γ and β. */
const elementStorage = [
  { name: 'xs', type: 'array<f32>', kind: 'storage' },
  { name: 'gys', type: 'array<f32>', kind: 'storage' },
  { name: 'outs', type: 'array<f32>', kind: 'storage' },
  { name: 'stats', type: 'array<f32>', kind: 'read-only-storage' },
  { name: 'wts', type: 'array<f32>', kind: 'read-only-storage' },
] as const;

const elementKernel = (key: string, value: string) =>
  defineKernel({
    key,
    storage: [...elementStorage],
    uniforms: ELEMENT_PARAMS,
    body: batchedPixelKernel(
      'u.width',
      'u.height',
      'u.channels',
      `let xhat = (xs[${batchedIndex('x')}] - stats[u.mean_off + c]) * stats[u.invstd_off + c];
let o = ${batchedIndex('out')};
var v = ${value};
if (u.accumulate != 0u) { v += outs[o]; }
outs[o] = v;`,
    ),
  });

const normalizeVariant = elementKernel('batch_norm_normalize', 'wts[u.gamma_off + c] * xhat + wts[u.beta_off + c]');
const backwardVariant = elementKernel(
  'batch_norm_backward',
  `wts[u.gamma_off + c] * stats[u.invstd_off + c] * (gys[${batchedIndex('gy')}] - (stats[u.gbeta_off + c] + xhat * stats[u.ggamma_off + c]) * u.inv_m)`,
);

export interface BatchNormElementDesc {
  x: BatchedRef;
  stats: BatchNormStats;
  /** γ and β at element offsets of the weights buffer. */
  weights: { buffer: GPUBuffer; gamma: number; beta: number };
  label?: string;
}

function elementCall(kind: 'normalize' | 'backward', desc: BatchNormElementDesc, out: BatchedRef, gy: BatchedRef, accumulate: boolean, limits?: GPUSupportedLimits): KernelCall {
  const { x, stats, weights } = desc;
  const name = `batch norm ${kind}${desc.label ? ` "${desc.label}"` : ''}`;
  for (const [role, t] of [['x', x], ['gy', gy], ['output', out]] as const) checkBatched(name, role, t, limits);
  checkSameBatchShape(name, 'output', out, 'x', x);
  checkSameBatchShape(name, 'gy', gy, 'x', x);
  if (stats.channels !== x.channels) throw new WgsrError('BAD_ARGUMENT', `${name}: statistics of ${stats.channels} channels for ${x.channels}`);
  checkBindable(name, stats.buffer, limits);
  checkBindable(name, weights.buffer, limits);
  const at = statsAt(stats);
  return {
    variant: kind === 'normalize' ? normalizeVariant : backwardVariant,
    storage: [x.buffer, gy.buffer, out.buffer, stats.buffer, weights.buffer],
    uniforms: ELEMENT_PARAMS.pack({
      ...batchedValues('x', x),
      ...batchedValues('gy', gy),
      ...batchedValues('out', out),
      channels: x.channels,
      height: x.height,
      width: x.width,
      mean_off: at.mean,
      invstd_off: at.invStd,
      gbeta_off: at.gradBeta,
      ggamma_off: at.gradGamma,
      gamma_off: weights.gamma,
      beta_off: weights.beta,
      inv_m: 1 / (x.batch * x.height * x.width),
      accumulate: accumulate ? 1 : 0,
    } as never),
    workgroups: batchedGrid(x),
    label: desc.label,
  };
}

/** The forward: y = γ·(x − μ)·invstd + β (y written). */
export function batchNormNormalize(desc: BatchNormElementDesc & { y: BatchedRef }, limits?: GPUSupportedLimits): KernelCall {
  // gy is not read by the forward: x stands in for its binding.
  return elementCall('normalize', desc, desc.y, desc.x, false, limits);
}

/** The input's gradient, from gβ and gγ already reduced into the stats (gx written or accumulated). */
export function batchNormBackward(desc: BatchNormElementDesc & { gy: BatchedRef; gx: BatchedRef; accumulate: boolean }, limits?: GPUSupportedLimits): KernelCall {
  return elementCall('backward', desc, desc.gx, desc.gy, desc.accumulate, limits);
}
