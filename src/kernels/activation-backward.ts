import { WgsrError } from '../errors.js';
import { batchedFields, batchedGrid, batchedIndex, batchedPixelKernel, batchedValues, checkBatched, checkSameBatchShape, type BatchedRef } from './batched.js';
import { defineKernel, type KernelCall, type KernelVariant, type StorageBinding } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * The backward of an element-wise activation over a batch: gx (+)= gy · act'(·), with PyTorch's
 * choices where the derivative is undefined (relu'(0) = 0; LeakyReLU and PReLU take the
 * negative slope at 0).
 *
 * The derivative is computed from the value the forward kept: the activation's input, or its
 * output where that says as much, which lets the training plan drop the input (the conv output
 * before a LeakyReLU) as soon as the forward has used it. For ReLU and LeakyReLU with a slope
 * ≥ 0, y > 0 exactly when x > 0; tanh' = 1 − y². PReLU needs its input (its slope gradient is
 * Σ gy·x over x ≤ 0, see channel-reduce.ts), and so does a negative LeakyReLU slope.
 *
 * `accumulate` adds to what gx holds (a value read by several nodes sums their gradients);
 * without it gx is written and never read, so it may hold anything before.
 */
export type BackwardActivation = { kind: 'relu' } | { kind: 'leaky_relu'; slope: number } | { kind: 'prelu' } | { kind: 'tanh' };

export interface ActivationBackwardDesc {
  activation: BackwardActivation;
  saved: BatchedRef;
  savedIs: 'input' | 'output';
  gy: BatchedRef;
  gx: BatchedRef;
  accumulate: boolean;
  /** PReLU: `count` slopes (one per channel, or one shared) at element `offset` of `buffer`. */
  slopes?: { buffer: GPUBuffer; offset: number; count: number };
  label?: string;
}

const PARAMS = uniformStruct('ActivationBackwardParams', [
  ...batchedFields('sv'),
  ...batchedFields('gy'),
  ...batchedFields('gx'),
  { name: 'channels', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'accumulate', type: 'u32' },
  { name: 'slope', type: 'f32' },
  { name: 'slope_off', type: 'u32' },
  /** 1 with a PReLU slope per channel, 0 with one shared. */
  { name: 'slope_stride', type: 'u32' },
] as const);

/** WGSL for act'(v), v being the kept input or output. */
function derivative(kind: BackwardActivation['kind'], savedIs: 'input' | 'output'): string {
  switch (kind) {
    case 'relu':
      return 'select(0.0, 1.0, v > 0.0)';
    case 'leaky_relu':
      return 'select(u.slope, 1.0, v > 0.0)';
    case 'prelu':
      return 'select(slopes[u.slope_off + c * u.slope_stride], 1.0, v > 0.0)';
    case 'tanh':
      // Clamped as the forward computes it (activations.ts).
      return savedIs === 'output' ? '1.0 - v * v' : '1.0 - pow(tanh(clamp(v, -15.0, 15.0)), 2.0)';
  }
}

const variants = new Map<string, KernelVariant>();

function variantFor(kind: BackwardActivation['kind'], savedIs: 'input' | 'output'): KernelVariant {
  const key = `activation_backward ${kind} from ${savedIs}`;
  let v = variants.get(key);
  if (v) return v;
  const slopes: StorageBinding[] = kind === 'prelu' ? [{ name: 'slopes', type: 'array<f32>', kind: 'read-only-storage' }] : [];
  v = defineKernel({
    key,
    storage: [
      { name: 'sv', type: 'array<f32>', kind: 'storage' },
      { name: 'gys', type: 'array<f32>', kind: 'storage' },
      { name: 'gxs', type: 'array<f32>', kind: 'storage' },
      ...slopes,
    ],
    uniforms: PARAMS,
    body: batchedPixelKernel(
      'u.width',
      'u.height',
      'u.channels',
      `let v = sv[${batchedIndex('sv')}];
let o = ${batchedIndex('gx')};
var g = gys[${batchedIndex('gy')}] * (${derivative(kind, savedIs)});
if (u.accumulate != 0u) { g += gxs[o]; }
gxs[o] = g;`,
    ),
  });
  variants.set(key, v);
  return v;
}

export function activationBackward(desc: ActivationBackwardDesc, limits?: GPUSupportedLimits): KernelCall {
  const { activation: act, saved, savedIs, gy, gx, slopes } = desc;
  const name = desc.label ? `${act.kind} backward "${desc.label}"` : `${act.kind} backward`;
  for (const [role, t] of [['kept value', saved], ['gy', gy], ['gx', gx]] as const) checkBatched(name, role, t, limits);
  checkSameBatchShape(name, 'gy', gy, 'the kept value', saved);
  checkSameBatchShape(name, 'gx', gx, 'the kept value', saved);
  const fromOutputOk = act.kind === 'relu' || act.kind === 'tanh' || (act.kind === 'leaky_relu' && act.slope >= 0);
  if (savedIs === 'output' && !fromOutputOk) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: the derivative of ${act.kind}${act.kind === 'leaky_relu' ? ` (slope ${act.slope})` : ''} needs the activation's input, not its output`);
  }
  const storage = [saved.buffer, gy.buffer, gx.buffer];
  if (act.kind === 'prelu') {
    if (!slopes) throw new WgsrError('BAD_ARGUMENT', `${name}: PReLU needs its slopes`);
    if (slopes.count !== 1 && slopes.count !== saved.channels) throw new WgsrError('BAD_ARGUMENT', `${name}: ${slopes.count} slopes for ${saved.channels} channels`);
    checkBindable(`${name}: slopes`, slopes.buffer, limits);
    storage.push(slopes.buffer);
  }
  return {
    variant: variantFor(act.kind, savedIs),
    storage,
    uniforms: PARAMS.pack({
      ...batchedValues('sv', saved),
      ...batchedValues('gy', gy),
      ...batchedValues('gx', gx),
      channels: saved.channels,
      height: saved.height,
      width: saved.width,
      accumulate: desc.accumulate ? 1 : 0,
      slope: act.kind === 'leaky_relu' ? act.slope : 0,
      slope_off: slopes?.offset ?? 0,
      slope_stride: slopes && slopes.count > 1 ? 1 : 0,
    } as never),
    workgroups: batchedGrid(saved),
    label: desc.label,
  };
}
