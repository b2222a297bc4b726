/**
 * The graph IR: values (tensors whose spatial size is a rational multiple of the input's) and
 * the nodes that produce them. Models describe the network with plain ops (conv, activation,
 * add, concat, upsample, …); `fuse.ts` folds them into fused convs; `plan.ts` places every
 * value in a buffer for a concrete input size; `executor.ts` runs the result.
 *
 * Spatial sizes are symbolic so one graph serves every tile size: a value's height is
 * `inputHeight · num / den` (pixel-unshuffle divides, upsampling and pixel-shuffle multiply).
 */
export type ValueId = number;

export interface Value {
  readonly id: ValueId;
  readonly channels: number;
  /** Spatial size = input size · num / den. */
  readonly num: number;
  readonly den: number;
}

export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky_relu'; slope: number }
  | { kind: 'prelu'; slopes: Float32Array }
  | { kind: 'tanh' };

export type InputTransform =
  | { kind: 'none' }
  | { kind: 'upsample_nearest'; factor: number }
  | { kind: 'pixel_unshuffle'; factor: 2 | 4 };

export interface ConvWeights {
  /** PyTorch layout [cout, cin, k, k]. */
  readonly weight: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bias?: Float32Array;
  /** The state-dict name, for error messages and labels. */
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
