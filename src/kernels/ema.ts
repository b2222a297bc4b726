import { WgsrError } from '../errors.js';
import { STEP_IS_FINITE_WGSL } from './adam.js';
import { linearGrid } from './batched.js';
import { defineKernel, type KernelCall } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * An exponential moving average of the weights, as BasicSR's model_ema keeps after every
 * optimizer step (Real-ESRGAN's released files hold these, `params_ema`):
 *   avg ← decay·avg + (1 − decay)·p
 * over `count` f32 values. It runs after the Adam step in the same pass and, like it, does
 * nothing when the step's loss or gradient norm (`scalars`) is not finite: a skipped update
 * must not move the average either. 1 − decay comes from float64 (see adam.ts).
 */
export interface EmaDesc {
  average: GPUBuffer;
  params: GPUBuffer;
  scalars: GPUBuffer;
  count: number;
  decay: number;
  label?: string;
}

const EMA_PARAMS = uniformStruct('EmaParams', [
  { name: 'count', type: 'u32' },
  { name: 'row', type: 'u32' },
  { name: 'decay', type: 'f32' },
  { name: 'one_minus_decay', type: 'f32' },
] as const);

const variant = defineKernel({
  key: 'ema',
  storage: [
    { name: 'avg', type: 'array<f32>', kind: 'storage' },
    { name: 'ps', type: 'array<f32>', kind: 'read-only-storage' },
    { name: 'scalars', type: 'array<f32>', kind: 'read-only-storage' },
  ],
  uniforms: EMA_PARAMS,
  body: `${STEP_IS_FINITE_WGSL}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * u.row;
  if (i >= u.count) { return; }
  if (!step_is_finite(scalars[0], sqrt(scalars[1]))) { return; }
  avg[i] = u.decay * avg[i] + u.one_minus_decay * ps[i];
}
`,
});

/** A decay the average can use: in (0, 1). */
export function checkEmaDecay(decay: unknown, where = 'ema'): number {
  if (typeof decay !== 'number' || !Number.isFinite(decay) || decay <= 0 || decay >= 1) {
    throw new WgsrError('BAD_ARGUMENT', `${where}: the decay must be a number between 0 and 1 (BasicSR uses 0.999), got ${JSON.stringify(decay)}`);
  }
  return decay;
}

export function ema(desc: EmaDesc, limits?: GPUSupportedLimits): KernelCall {
  const { count } = desc;
  if (!Number.isInteger(count) || count < 1) throw new WgsrError('BAD_ARGUMENT', `ema: ${count} parameters`);
  const decay = checkEmaDecay(desc.decay);
  for (const [role, b] of [['average', desc.average], ['parameters', desc.params]] as const) {
    if (b.size < count * 4) throw new WgsrError('BAD_ARGUMENT', `ema: the ${role} buffer holds fewer than ${count} floats`);
    checkBindable(`ema: ${role}`, b, limits);
  }
  if (new Set([desc.average, desc.params, desc.scalars]).size !== 3) throw new WgsrError('BAD_ARGUMENT', 'ema: the average, parameters and scalars need a buffer each');
  const { workgroups, rowLength } = linearGrid(count, 64);
  return {
    variant,
    storage: [desc.average, desc.params, desc.scalars],
    uniforms: EMA_PARAMS.pack({ count, row: rowLength, decay, one_minus_decay: 1 - decay }),
    workgroups,
    label: desc.label ?? 'ema',
  };
}
