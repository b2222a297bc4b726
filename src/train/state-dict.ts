import { WgsrError } from '../errors.js';
import { isFloatDType } from '../weights/dtypes.js';
import type { StateDict } from '../weights/types.js';
import type { ParameterLayout } from './parameters.js';
import type { TrainProgram } from './reverse.js';

/** A tensor as the trainer hands it out. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** What the trainer's batches are checked against. */
interface NetworkShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly scale: number;
}

/**
 * Checks an LR/HR batch pair before any GPU work: NCHW shapes, data of the right length and
 * all finite, channels and sizes that fit the network. Returns N, h, w.
 */
export function checkBatch(lr: unknown, hr: unknown, net: NetworkShape, program: TrainProgram): { batch: number; height: number; width: number } {
  const a = tensorOf(lr, 'the LR batch');
  const b = tensorOf(hr, 'the HR batch');
  const [n, c, h, w] = a.shape;
  const s = net.scale;
  if (c !== net.inChannels) throw new WgsrError('BAD_ARGUMENT', `the LR batch has ${c} channels; this network takes ${net.inChannels}`);
  const want = [n, net.outChannels, h * s, w * s];
  if (b.shape.join() !== want.join()) {
    throw new WgsrError('BAD_ARGUMENT', `the HR batch is [${b.shape.join(', ')}]; for an LR batch of [${a.shape.join(', ')}] this ×${s} network needs [${want.join(', ')}]`);
  }
  const multiple = program.graph.values.reduce((m, v) => lcm(m, v.den), 1);
  if (h % multiple || w % multiple) throw new WgsrError('BAD_ARGUMENT', `LR patches of ${w}×${h}: this network needs sides that are multiples of ${multiple}`);
  return { batch: n, height: h, width: w };
}

function tensorOf(t: unknown, what: string): { shape: [number, number, number, number]; data: Float32Array } {
  const v = t as { shape?: unknown; data?: unknown } | null;
  if (!v || typeof v !== 'object' || !Array.isArray(v.shape) || !(v.data instanceof Float32Array)) {
    throw new WgsrError('BAD_ARGUMENT', `${what} must be { shape: [N, C, H, W], data: Float32Array }`);
  }
  const shape = v.shape as number[];
  if (shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new WgsrError('BAD_ARGUMENT', `${what} has shape [${shape.join(', ')}]; expected [N, C, H, W] of positive integers`);
  const count = shape.reduce((x, y) => x * y, 1);
  if (v.data.length !== count) throw new WgsrError('BAD_ARGUMENT', `${what} has ${v.data.length} values; shape [${shape.join(', ')}] needs ${count}`);
  const bad = v.data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new WgsrError('BAD_ARGUMENT', `${what} holds ${v.data[bad]} at element ${bad}; training data must be finite`);
  return { shape: shape as [number, number, number, number], data: v.data };
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

/**
 * The model's state dict as it is after training, in the file's order and shapes: trained and
 * frozen tensors from the GPU's weights (f32: a float16 file comes back as float32, since the
 * training moved it), BatchNorm's running statistics, `num_batches_tracked` counted on by the
 * training forwards run, and anything else the file had left as it was.
 */
export function trainedStateDict(original: StateDict, layout: ParameterLayout, weights: Float32Array, running: Float32Array, forwards: number): StateDict {
  const out: StateDict = new Map();
  for (const [key, t] of original) {
    const slot = layout.slots.get(key);
    const bn = /^(.*)\.(running_mean|running_var|num_batches_tracked)$/.exec(key);
    const r = bn ? layout.running.get(bn[1]!) : undefined;
    let data = t.data;
    if (slot) data = weights.slice(slot.offset, slot.offset + slot.count);
    else if (r && bn![2] === 'running_mean') data = running.slice(r.mean, r.mean + r.channels);
    else if (r && bn![2] === 'running_var') data = running.slice(r.variance, r.variance + r.channels);
    else if (r) data = Float32Array.of(t.data[0]! + forwards);
    out.set(key, { shape: t.shape, data, dtype: isFloatDType(t.dtype) ? 'float32' : t.dtype });
  }
  return out;
}
