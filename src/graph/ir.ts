import type { Activation as KernelActivation } from '../kernels/activations.js';
import type { InputTransform } from '../kernels/conv2d.js';

export type { InputTransform };

/**
 * The graph IR: values (tensors whose spatial size is a rational multiple of the input's) and
 * the nodes that produce them. Models describe the network with plain ops (conv, activation,
 * add, concat, upsample, batch norm, …); for inference `fold-batch-norm.ts` folds batch norms
 * into their convs and `fuse.ts` folds the rest into fused convs; `plan.ts` places every value
 * in a buffer, in elements per input pixel, so that one plan serves every input size;
 * `executor.ts` runs the result.
 *
 * Spatial sizes are symbolic so one graph serves every tile size: a value's height is
 * `inputHeight · num / den` (pixel-unshuffle divides, upsampling and pixel-shuffle multiply).
 *
 * Parameters keep the state-dict names they came from (a conv's `<name>.weight` and
 * `<name>.bias`, a PReLU's `key`, a batch norm's `<name>.weight`, …), so that what is computed
 * can be traced back to, and written back into, the weights file.
 */
export type ValueId = number;

export interface Value {
  readonly id: ValueId;
  readonly channels: number;
  /** Spatial size = input size · num / den. */
  readonly num: number;
  readonly den: number;
}

/** The kernels' activations, PReLU with its slopes (one per channel, or one shared) and their state-dict key. */
export type Activation = Exclude<KernelActivation, { kind: 'prelu' }> | { kind: 'prelu'; slopes: Float32Array; key: string };

export interface ConvWeights {
  /** PyTorch layout [cout, cin, k, k]. */
  readonly weight: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bias?: Float32Array;
  /** The state-dict prefix of `weight` and `bias`, also used in error messages and labels. */
  readonly name: string;
}

/** BatchNorm2d's parameters and running statistics: y = (x − mean) / sqrt(var + eps) · weight + bias. */
export interface BatchNormParams {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  readonly eps: number;
  /** The state-dict prefix (`<name>.weight`, `<name>.running_mean`, …). */
  readonly name: string;
}

/** `out = alpha·act(conv) + beta·r1 (+ gamma·r2)` — RRDB's residuals, folded into the conv's write. */
export interface Residual {
  readonly alpha: number;
  readonly r1: ValueId;
  readonly beta: number;
  readonly r2?: ValueId;
  readonly gamma?: number;
}

export type Node =
  | {
      readonly op: 'conv2d';
      readonly input: ValueId;
      readonly output: ValueId;
      readonly weights: ConvWeights;
      readonly inputTransform: InputTransform;
      readonly activation: Activation;
      readonly residual?: Residual;
    }
  | { readonly op: 'activation'; readonly input: ValueId; readonly output: ValueId; readonly activation: Activation }
  | { readonly op: 'upsample_nearest'; readonly input: ValueId; readonly output: ValueId; readonly factor: number }
  | { readonly op: 'pixel_unshuffle'; readonly input: ValueId; readonly output: ValueId; readonly factor: 2 | 4 }
  | { readonly op: 'pixel_shuffle'; readonly input: ValueId; readonly output: ValueId; readonly factor: number }
  | { readonly op: 'concat'; readonly inputs: readonly ValueId[]; readonly output: ValueId }
  | { readonly op: 'batch_norm'; readonly input: ValueId; readonly output: ValueId; readonly params: BatchNormParams }
  /** out = alpha·a + beta·upsample_nearest(b, bUpsample) */
  | {
      readonly op: 'add';
      readonly a: ValueId;
      readonly b: ValueId;
      readonly output: ValueId;
      readonly alpha: number;
      readonly beta: number;
      readonly bUpsample: number;
    };

export interface Graph {
  readonly values: readonly Value[];
  /** In execution order (the builder appends in the order the model calls it). */
  readonly nodes: readonly Node[];
  readonly input: ValueId;
  readonly output: ValueId;
}

/** Every value a node reads. */
export function nodeInputs(node: Node): ValueId[] {
  switch (node.op) {
    case 'conv2d': {
      const r = node.residual;
      return [node.input, ...(r ? [r.r1] : []), ...(r?.r2 !== undefined ? [r.r2] : [])];
    }
    case 'concat':
      return [...node.inputs];
    case 'add':
      return [node.a, node.b];
    default:
      return [node.input];
  }
}

export function valueSize(v: Value, inputHeight: number, inputWidth: number): { height: number; width: number } {
  const scale = (n: number) => {
    const s = (n * v.num) / v.den;
    if (!Number.isInteger(s)) throw new Error(`input size ${n} is not a multiple of ${v.den}`);
    return s;
  };
  return { height: scale(inputHeight), width: scale(inputWidth) };
}
