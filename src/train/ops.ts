import type { Node } from '../graph/ir.js';
import type { GatherOp } from '../kernels/gather.js';

/**
 * The operations of one training step at the level of the graph, before any buffer exists:
 * what each reads and writes is a `Place` (channels of a logical storage), so the memory plan
 * can compute lifetimes from them and the lowering turn each into kernel calls once the
 * storages have addresses.
 */
export interface StorageSpec {
  readonly kind: 'value' | 'grad' | 'temp';
  /** Channels of one image; spatial size = input size · num / den. */
  readonly channels: number;
  readonly num: number;
  readonly den: number;
  readonly label: string;
}

/** Channels [channelOffset, channelOffset + channels) of a storage, every image of the batch. */
export interface Place {
  readonly storage: number;
  readonly channelOffset: number;
  readonly channels: number;
}

export type ConvNode = Extract<Node, { op: 'conv2d' }>;
export type ActivationNode = Extract<Node, { op: 'activation' }>;
export type BatchNormNode = Extract<Node, { op: 'batch_norm' }>;

export type TrainOp =
  // Forward.
  | { readonly op: 'conv'; readonly node: ConvNode; readonly input: Place; readonly output: Place }
  | { readonly op: 'activation'; readonly node: ActivationNode; readonly input: Place; readonly output: Place }
  /** A rearrangement or a plain copy (concat input that could not be placed, add's operands). */
  | { readonly op: 'gather'; readonly gather: GatherOp; readonly factor: number; readonly scale: number; readonly src: Place; readonly dst: Place; readonly accumulate: boolean; readonly label: string }
  | { readonly op: 'add'; readonly node: Extract<Node, { op: 'add' }>; readonly a: Place; readonly b: Place; readonly output: Place }
  | { readonly op: 'batch_norm'; readonly node: BatchNormNode; readonly input: Place; readonly output: Place; readonly stats: number }
  | { readonly op: 'loss'; readonly output: Place; readonly grad: Place }
  // Backward.
  | { readonly op: 'zero'; readonly place: Place }
  | { readonly op: 'weight_grad'; readonly node: ConvNode; readonly x: Place; readonly gy: Place; readonly withBias: boolean }
  | { readonly op: 'bias_grad'; readonly node: ConvNode; readonly gy: Place }
  /** A gradient that is exactly zero: a conv bias that a training-mode batch norm subtracts again. */
  | { readonly op: 'zero_param_grad'; readonly key: string }
  | { readonly op: 'input_grad'; readonly node: ConvNode; readonly gy: Place; readonly gx: Place; readonly accumulate: boolean }
  | { readonly op: 'activation_grad'; readonly node: ActivationNode; readonly saved: Place; readonly savedIs: 'input' | 'output'; readonly gy: Place; readonly gx: Place; readonly accumulate: boolean }
  | { readonly op: 'prelu_slope_grad'; readonly node: ActivationNode; readonly x: Place; readonly gy: Place }
  | { readonly op: 'batch_norm_grad'; readonly node: BatchNormNode; readonly x: Place; readonly gy: Place; readonly gx?: Place; readonly accumulate: boolean; readonly stats: number };

/** What an op reads and writes in the activation storages (for lifetimes). */
export function opAccess(op: TrainOp): { reads: Place[]; writes: Place[] } {
  switch (op.op) {
    case 'conv':
    case 'activation':
    case 'batch_norm':
      return { reads: [op.input], writes: [op.output] };
    case 'gather':
      return { reads: op.gather === 'zero' ? [] : op.accumulate ? [op.src, op.dst] : [op.src], writes: [op.dst] };
    case 'add':
      return { reads: [op.a, op.b], writes: [op.output] };
    case 'loss':
      return { reads: [op.output], writes: [op.grad] };
    case 'zero':
      return { reads: [], writes: [op.place] };
    case 'weight_grad':
      return { reads: [op.x, op.gy], writes: [] };
    case 'bias_grad':
      return { reads: [op.gy], writes: [] };
    case 'zero_param_grad':
      return { reads: [], writes: [] };
    case 'input_grad':
      return { reads: op.accumulate ? [op.gy, op.gx] : [op.gy], writes: [op.gx] };
    case 'activation_grad':
      return { reads: op.accumulate ? [op.saved, op.gy, op.gx] : [op.saved, op.gy], writes: [op.gx] };
    case 'prelu_slope_grad':
      return { reads: [op.x, op.gy], writes: [] };
    case 'batch_norm_grad':
      return { reads: op.gx && op.accumulate ? [op.x, op.gy, op.gx] : [op.x, op.gy], writes: op.gx ? [op.gx] : [] };
  }
}
