import { WgsrError } from '../errors.js';
import { linearGrid } from './batched.js';
import { defineKernel, type KernelCall } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * One step of torch.optim.Adam or AdamW (amsgrad and maximize off) over `count` f32 parameters,
 * with their gradients and moments, each a flat array (every trainable tensor one after the
 * other), in torch's order of operations:
 *   g ← g · clip                          (clip_grad_norm_, when max_norm > 0)
 *   Adam:  g ← g + wd·p                   AdamW: p ← p·(1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − step_size · m / (sqrt(v) / sqrt(1 − β2^t) + eps),   step_size = lr / (1 − β1^t)
 * The bias corrections and 1 − β are computed on the CPU in float64, as torch does with Python
 * floats.
 *
 * `scalars` holds the step's loss (element 0) and the sum of the squared gradients (element 1).
 * When either is not finite the update is skipped (every invocation checks, so nothing
 * changes): a NaN loss must not turn the weights into NaN; the trainer then reports it. With
 * max_norm > 0, every gradient is scaled by min(1, max_norm / (‖g‖ + 1e-6)) first, as
 * torch.nn.utils.clip_grad_norm_ does.
 */
export interface AdamDesc {
  params: GPUBuffer;
  grads: GPUBuffer;
  expAvg: GPUBuffer;
  expAvgSq: GPUBuffer;
  scalars: GPUBuffer;
  count: number;
  settings: AdamStepSettings;
  label?: string;
}

export interface AdamStepSettings {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay. */
  decoupled: boolean;
  /** The step being taken, from 1. */
  step: number;
  /** clip_grad_norm_'s max_norm; 0 for no clipping. */
  maxNorm: number;
}

export const ADAM_PARAMS = uniformStruct('AdamParams', [
  { name: 'count', type: 'u32' },
  { name: 'row', type: 'u32' },
  { name: 'decoupled', type: 'u32' },
  { name: 'lr', type: 'f32' },
  { name: 'beta1', type: 'f32' },
  { name: 'beta2', type: 'f32' },
  /** 1 − β1 and 1 − β2 from float64: in f32, 1 − f32(0.999) is 1.3e-5 off, and v with it. */
  { name: 'one_minus_beta1', type: 'f32' },
  { name: 'one_minus_beta2', type: 'f32' },
  { name: 'eps', type: 'f32' },
  { name: 'wd', type: 'f32' },
  { name: 'step_size', type: 'f32' },
  { name: 'bc2_sqrt', type: 'f32' },
  { name: 'max_norm', type: 'f32' },
] as const);

/**
 * WGSL: whether a step's loss and gradient norm are finite. Adam, and whatever runs after it in
 * the step (kernels/ema.ts), leave their buffers alone when they are not.
 */
export const STEP_IS_FINITE_WGSL = `const F32_MAX = 0x1.fffffep+127f;

// Comparisons with NaN are false: this fails for NaN and for ±inf alike.
fn step_is_finite(loss: f32, norm: f32) -> bool { return abs(loss) <= F32_MAX && norm <= F32_MAX; }`;

const variant = defineKernel({
  key: 'adam',
  storage: [
    { name: 'ps', type: 'array<f32>', kind: 'storage' },
    { name: 'gs', type: 'array<f32>', kind: 'read-only-storage' },
    { name: 'ms', type: 'array<f32>', kind: 'storage' },
    { name: 'vs', type: 'array<f32>', kind: 'storage' },
    { name: 'scalars', type: 'array<f32>', kind: 'read-only-storage' },
  ],
  uniforms: ADAM_PARAMS,
  body: `${STEP_IS_FINITE_WGSL}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.row;
  if (i >= u.count) { return; }
  let loss = scalars[0];
  let norm = sqrt(scalars[1]);
  if (!step_is_finite(loss, norm)) { return; }
  var g = gs[i];
  if (u.max_norm > 0.0) { g *= min(1.0, u.max_norm / (norm + 1e-6)); }
  var p = ps[i];
  if (u.decoupled != 0u) { p *= 1.0 - u.lr * u.wd; } else { g += u.wd * p; }
  let m = u.beta1 * ms[i] + u.one_minus_beta1 * g;
  let v = u.beta2 * vs[i] + u.one_minus_beta2 * g * g;
  ms[i] = m;
  vs[i] = v;
  ps[i] = p - u.step_size * m / (sqrt(v) / u.bc2_sqrt + u.eps);
}
`,
});

/** The uniforms of one step (they change every step: the trainer rewrites them). */
export function adamUniforms(count: number, s: AdamStepSettings): ArrayBuffer {
  const [b1, b2] = s.betas;
  const { rowLength } = linearGrid(count, 64);
  return ADAM_PARAMS.pack({
    count,
    row: rowLength,
    decoupled: s.decoupled ? 1 : 0,
    lr: s.lr,
    beta1: b1,
    beta2: b2,
    one_minus_beta1: 1 - b1,
    one_minus_beta2: 1 - b2,
    eps: s.eps,
    wd: s.weightDecay,
    step_size: s.lr / (1 - b1 ** s.step),
    bc2_sqrt: Math.sqrt(1 - b2 ** s.step),
    max_norm: s.maxNorm,
  });
}

export function checkAdamSettings(s: Omit<AdamStepSettings, 'step' | 'decoupled'>, where = 'optimizer'): void {
  const bad = (what: string) => new WgsrError('BAD_ARGUMENT', `${where}: ${what}`);
  if (!(Number.isFinite(s.lr) && s.lr >= 0)) throw bad(`lr must be a finite number ≥ 0, got ${s.lr}`);
  if (!Array.isArray(s.betas) || s.betas.length !== 2 || !s.betas.every((b) => Number.isFinite(b) && b >= 0 && b < 1)) {
    throw bad(`betas must be two numbers in [0, 1), got ${JSON.stringify(s.betas)}`);
  }
  if (!(Number.isFinite(s.eps) && s.eps > 0)) throw bad(`eps must be a finite number > 0, got ${s.eps}`);
  if (!(Number.isFinite(s.weightDecay) && s.weightDecay >= 0)) throw bad(`weightDecay must be a finite number ≥ 0, got ${s.weightDecay}`);
  if (!(Number.isFinite(s.maxNorm) && s.maxNorm >= 0)) throw bad(`the gradient clipping norm must be a finite number ≥ 0 (0: none), got ${s.maxNorm}`);
}

export function adam(desc: AdamDesc, limits?: GPUSupportedLimits): KernelCall {
  const { count } = desc;
  if (!Number.isInteger(count) || count < 1) throw new WgsrError('BAD_ARGUMENT', `adam: ${count} parameters`);
  if (!Number.isInteger(desc.settings.step) || desc.settings.step < 1) throw new WgsrError('BAD_ARGUMENT', `adam: step ${desc.settings.step}; steps count from 1`);
  checkAdamSettings(desc.settings, 'adam');
  for (const [role, b] of [['parameters', desc.params], ['gradients', desc.grads], ['exp_avg', desc.expAvg], ['exp_avg_sq', desc.expAvgSq]] as const) {
    if (b.size < count * 4) throw new WgsrError('BAD_ARGUMENT', `adam: the ${role} buffer holds fewer than ${count} floats`);
    checkBindable(`adam: ${role}`, b, limits);
  }
  if (new Set([desc.params, desc.grads, desc.expAvg, desc.expAvgSq, desc.scalars]).size !== 5) throw new WgsrError('BAD_ARGUMENT', 'adam: parameters, gradients, moments and scalars need a buffer each');
  return {
    variant,
    storage: [desc.params, desc.grads, desc.expAvg, desc.expAvgSq, desc.scalars],
    uniforms: adamUniforms(count, desc.settings),
    workgroups: linearGrid(count, 64).workgroups,
    label: desc.label ?? 'adam',
  };
}
