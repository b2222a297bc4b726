import { where, type NcnnLayer } from './ncnn-param.js';

/** The nodes of an ncnn graph (see ncnn-graph.ts): the few operations RRDBNet and SRVGGNetCompact are made of. */
interface NodeBase {
  readonly layer: NcnnLayer;
  /** Channels of the value, when the graph says; the input's often is not written down. */
  readonly channels: number | undefined;
}
export interface InputNode extends NodeBase {
  readonly kind: 'input';
}
export interface ConvNode extends NodeBase {
  readonly kind: 'conv';
  readonly input: NcnnNode;
  readonly outChannels: number;
  readonly inChannels: number;
  readonly kernel: number;
  readonly bias: boolean;
}
export interface ActNode extends NodeBase {
  readonly kind: 'act';
  readonly input: NcnnNode;
  /** PReLU (slopes in the .bin, from `layer`) or a fixed slope: 0 for ReLU. */
  readonly act: { readonly type: 'prelu'; readonly slopes: number } | { readonly type: 'leaky'; readonly slope: number };
}
export interface SumNode extends NodeBase {
  readonly kind: 'sum';
  readonly terms: readonly { readonly coef: number; readonly node: NcnnNode }[];
}
export interface ConcatNode extends NodeBase {
  readonly kind: 'concat';
  readonly parts: readonly NcnnNode[];
}
export interface UpsampleNode extends NodeBase {
  readonly kind: 'upsample';
  readonly input: NcnnNode;
  readonly factor: number;
}
/**
 * ncnn's PixelShuffle and Reorg (space-to-depth). Mode 0 orders channels as PyTorch's
 * pixel_shuffle / pixel_unshuffle do (c·s² + i·s + j); mode 1 as TensorFlow's ((i·s + j)·C + c).
 */
export interface ShuffleNode extends NodeBase {
  readonly kind: 'pixelShuffle' | 'pixelUnshuffle';
  readonly input: NcnnNode;
  readonly factor: number;
  readonly mode: 0 | 1;
}

export type NcnnNode = InputNode | ConvNode | ActNode | SumNode | ConcatNode | UpsampleNode | ShuffleNode;

/** "the output of Convolution Conv_4 (line 9)": a node, for messages. */
export function describeNode(node: NcnnNode): string {
  const what =
    node.kind === 'conv' ? 'a convolution'
    : node.kind === 'act' ? (node.act.type === 'prelu' ? 'a PReLU' : `an activation of slope ${node.act.slope}`)
    : node.kind === 'sum' ? `a sum of ${node.terms.length} (coefficients ${node.terms.map((t) => t.coef).join(', ')})`
    : node.kind === 'concat' ? `a concatenation of ${node.parts.length}`
    : node.kind === 'upsample' ? `a nearest ×${node.factor} upsampling`
    : node.kind === 'pixelShuffle' ? `a pixel shuffle ×${node.factor}`
    : node.kind === 'pixelUnshuffle' ? `a pixel unshuffle ×${node.factor}`
    : 'the input';
  return `${what} from ${where(node.layer)}`;
}
