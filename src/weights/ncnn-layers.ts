import { modelError } from './model-error.js';
import type { ConvNode, InputNode, NcnnNode, SumNode } from './ncnn-nodes.js';
import { floatParam, floatsParam, intParam, where, type NcnnLayer } from './ncnn-param.js';

/**
 * What each ncnn layer type becomes in the graph (see ncnn-graph.ts): one handler per type,
 * in one table, each checking the layer's parameters and reducing it to the few operations
 * RRDBNet and SRVGGNetCompact are made of. A type without a handler is refused by name.
 */

/** Convolution activation_type (param 9) values ncnn defines. */
const ACTIVATIONS = ['none', 'ReLU', 'LeakyReLU', 'Clip', 'Sigmoid', 'Mish', 'HardSwish'];
/** BinaryOp op_type (param 0) values ncnn defines. */
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'rsub', 'rdiv', 'rpow', 'atan2', 'ratan2'];
/** ncnn's pad value for "SAME" padding (-233 upper, -234 lower): one pixel each side for 3×3, stride 1. */
const SAME_PADDING = [-233, -234];
export const SUPPORTED_LAYERS = 'Input, Split, Convolution, ReLU, PReLU, Eltwise (sum), BinaryOp (add, scalar mul/div), Concat, Interp (nearest), PixelShuffle, Reorg';
/** Upsampling factors past this are no super-resolution network. */
const MAX_FACTOR = 16;

/** What the whole graph learns from its layers as they are read. */
export interface GraphState {
  input: InputNode | undefined;
  convCount: number;
}

export function layerError(source: string, layer: NcnnLayer, message: string): Error {
  return modelError('BAD_MODEL', source, `bad ncnn .param file: ${where(layer)}: ${message}.`);
}

/** One layer being read: its parameters, its input nodes, and errors that name it. */
export class LayerContext {
  constructor(
    readonly source: string,
    readonly layer: NcnnLayer,
    readonly inputs: readonly NcnnNode[],
  ) {}

  unsupported(message: string): Error {
    return modelError('UNSUPPORTED_MODEL', this.source, `${where(this.layer)}: ${message}`);
  }

  bad(message: string): Error {
    return layerError(this.source, this.layer, message);
  }

  int(id: number, fallback: number): number {
    return intParam(this.layer, id, fallback, this.source);
  }

  float(id: number, fallback: number): number {
    return floatParam(this.layer, id, fallback, this.source);
  }

  floats(id: number): readonly number[] | undefined {
    return floatsParam(this.layer, id, this.source);
  }

  /** The single input of a one-input layer. */
  get one(): NcnnNode {
    return this.inputs[0]!;
  }

  /** Checks the numbers of input and output blobs. */
  arity(inputs: number | 'any', outputs: number | 'any'): void {
    const { bottoms, tops } = this.layer;
    const okIn = inputs === 'any' ? bottoms.length >= 1 : bottoms.length === inputs;
    const okOut = outputs === 'any' ? tops.length >= 1 : tops.length === outputs;
    if (!okIn || !okOut) {
      const say = (n: number | 'any') => (n === 'any' ? 'one or more' : String(n));
      throw this.bad(`takes ${say(inputs)} input and ${say(outputs)} output blobs, not ${bottoms.length} and ${tops.length}`);
    }
  }

  /** A sum; a term that is itself one scaled value contributes that value with the product of the scales. */
  sum(terms: { coef: number; node: NcnnNode }[]): SumNode {
    const flat = terms.map((t) => (t.node.kind === 'sum' && t.node.terms.length === 1 ? { coef: Math.fround(t.coef * t.node.terms[0]!.coef), node: t.node.terms[0]!.node } : t));
    const counts = flat.map((t) => t.node.channels).filter((c) => c !== undefined);
    if (counts.some((c) => c !== counts[0])) throw this.bad(`adds values of ${counts.join(' and ')} channels`);
    return { kind: 'sum', layer: this.layer, terms: flat, channels: counts[0] };
  }
}

type LayerHandler = (l: LayerContext, state: GraphState) => NcnnNode[];

export const LAYERS: Readonly<Record<string, LayerHandler>> = {
  Input(l, state) {
    l.arity(0, 1);
    if (state.input) throw l.unsupported(`a second Input (the first is at line ${state.input.layer.line}); wgsr runs networks with one input`);
    const c = l.int(2, 0);
    state.input = { kind: 'input', layer: l.layer, channels: c > 0 ? c : undefined };
    return [state.input];
  },
  Split(l) {
    l.arity(1, 'any');
    return l.layer.tops.map(() => l.one);
  },
  Convolution(l, state) {
    l.arity(1, 1);
    state.convCount++;
    return convolution(l);
  },
  ReLU(l) {
    l.arity(1, 1);
    return [{ kind: 'act', layer: l.layer, input: l.one, channels: l.one.channels, act: { type: 'leaky', slope: l.float(0, 0) } }];
  },
  PReLU(l) {
    l.arity(1, 1);
    const slopes = l.int(0, 0);
    const channels = l.one.channels;
    if (slopes < 1) throw l.bad(`has ${slopes} slopes (param 0)`);
    if (slopes > 1 && channels !== undefined && slopes !== channels) throw l.bad(`has ${slopes} slopes but its input has ${channels} channels`);
    return [{ kind: 'act', layer: l.layer, input: l.one, channels, act: { type: 'prelu', slopes } }];
  },
  Eltwise(l) {
    l.arity('any', 1);
    const op = l.int(0, 0);
    if (op !== 1) throw l.unsupported(`Eltwise ${['product', 'sum', 'max'][op] ?? `op_type ${op}`} is not supported; only sums appear in RRDBNet and SRVGGNetCompact`);
    const coeffs = l.floats(1) ?? [];
    if (coeffs.length !== 0 && coeffs.length !== l.inputs.length) throw l.bad(`has ${l.inputs.length} inputs but ${coeffs.length} coefficients`);
    return [l.sum(l.inputs.map((node, i) => ({ coef: coeffs[i] ?? 1, node })))];
  },
  BinaryOp(l) {
    const op = l.int(0, 0);
    const opName = BINARY_OPS[op] ?? `op_type ${op}`;
    if (l.int(1, 0) !== 0) {
      l.arity(1, 1);
      const b = l.float(2, 0);
      if ((op !== 2 && op !== 3) || (op === 3 && b === 0)) {
        throw l.unsupported(`BinaryOp ${opName} with the scalar ${b} is not supported (input normalisation or another operation RRDBNet and SRVGGNetCompact do not have); only multiplying or dividing by a scalar is`);
      }
      return [l.sum([{ coef: op === 2 ? b : Math.fround(1 / b), node: l.one }])];
    }
    l.arity(2, 1);
    if (op !== 0) throw l.unsupported(`BinaryOp ${opName} of two blobs is not supported; only add is`);
    return [l.sum(l.inputs.map((node) => ({ coef: 1, node })))];
  },
  Concat(l) {
    l.arity('any', 1);
    const axis = l.int(0, 0);
    if (axis !== 0 && axis !== -3) throw l.unsupported(`Concat along axis ${axis} is not supported; only along channels (axis 0)`);
    const counts = l.inputs.map((n) => n.channels);
    const channels = counts.every((c) => c !== undefined) ? counts.reduce((a, b) => a! + b!, 0) : undefined;
    return [{ kind: 'concat', layer: l.layer, parts: l.inputs, channels }];
  },
  Interp(l) {
    l.arity(1, 1);
    const type = l.int(0, 0);
    if (type !== 1) throw l.unsupported(`Interp with resize_type ${type} (${['none', 'nearest', 'bilinear', 'bicubic'][type] ?? 'unknown'}) is not supported; only nearest`);
    if (l.int(3, 0) || l.int(4, 0) || l.int(5, 0) || l.layer.params.has(9)) {
      throw l.unsupported('Interp to a fixed or computed output size is not supported; only by a scale factor');
    }
    const h = l.float(1, 1);
    const w = l.float(2, 1);
    if (h !== w || !Number.isInteger(h) || h < 1 || h > MAX_FACTOR) {
      throw l.unsupported(`Interp by ${h}×${w} is not supported; only by one whole factor up to ${MAX_FACTOR}`);
    }
    return [{ kind: 'upsample', layer: l.layer, input: l.one, factor: h, channels: l.one.channels }];
  },
  PixelShuffle: shuffle,
  Reorg: shuffle,
};

/** PixelShuffle (depth to space) and Reorg (space to depth). */
function shuffle(l: LayerContext): NcnnNode[] {
  l.arity(1, 1);
  const factor = l.int(0, 1);
  const mode = l.int(1, 0);
  if (factor < 1 || factor > MAX_FACTOR) throw l.unsupported(`a factor of ${factor} is not supported (1 to ${MAX_FACTOR})`);
  if (mode !== 0 && mode !== 1) throw l.bad(`has mode ${mode}; ncnn knows 0 and 1`);
  const c = l.one.channels;
  let channels = c === undefined ? undefined : c * factor * factor;
  if (l.layer.type === 'PixelShuffle' && c !== undefined) {
    if (c % (factor * factor) !== 0) throw l.bad(`shuffles ${c} channels by ${factor}, which needs a multiple of ${factor * factor}`);
    channels = c / (factor * factor);
  }
  return [{ kind: l.layer.type === 'PixelShuffle' ? 'pixelShuffle' : 'pixelUnshuffle', layer: l.layer, input: l.one, factor, mode, channels }];
}

/** A 3×3, stride-1, "same"-padded convolution; a fused activation becomes a node after it. */
function convolution(l: LayerContext): NcnnNode[] {
  const from = l.one;
  const out = l.int(0, 0);
  const kw = l.int(1, 0);
  const kh = l.int(11, kw);
  const dilation = [l.int(2, 1), l.int(12, l.int(2, 1))];
  const stride = [l.int(3, 1), l.int(13, l.int(3, 1))];
  const left = l.int(4, 0);
  const top = l.int(14, left);
  const pads = [left, l.int(15, left), top, l.int(16, top)];
  if (l.int(8, 0)) throw l.unsupported('an int8-quantised convolution (int8_scale_term) is not supported; use the float model');
  if (l.int(19, 0)) throw l.unsupported('a convolution with dynamic weights (a second input) is not supported');
  if (out < 1) throw l.bad(`has ${out} outputs (param 0)`);
  if (kw !== 3 || kh !== 3) throw l.unsupported(`a ${kw}×${kh} convolution is not supported; RRDBNet and SRVGGNetCompact use 3×3`);
  if (dilation.some((d) => d !== 1) || stride.some((s) => s !== 1)) {
    throw l.unsupported(`a convolution with dilation ${dilation.join('×')} and stride ${stride.join('×')} is not supported; only 1`);
  }
  const same = pads.every((p) => SAME_PADDING.includes(p));
  if (!same && pads.some((p) => p !== 1)) throw l.unsupported(`a 3×3 convolution with padding ${pads.join(', ')} is not supported; only 1 on every side`);
  if (l.float(18, 0) !== 0) throw l.unsupported(`padding with the value ${l.float(18, 0)} is not supported; only zeros`);
  const size = l.int(6, 0);
  if (size < 1 || size % (out * 9) !== 0) throw l.bad(`has ${size} weights (param 6), not a multiple of ${out} outputs × 3×3`);
  const inChannels = size / (out * 9);
  if (from.channels !== undefined && from.channels !== inChannels) {
    throw l.bad(`has weights for ${inChannels} input channels but its input has ${from.channels}`);
  }
  const conv: ConvNode = { kind: 'conv', layer: l.layer, input: from, outChannels: out, inChannels, kernel: 3, bias: l.int(5, 0) !== 0, channels: out };

  const activation = l.int(9, 0);
  if (activation === 0) return [conv];
  if (activation !== 1 && activation !== 2) throw l.unsupported(`a convolution with a fused ${ACTIVATIONS[activation] ?? `activation_type ${activation}`} is not supported; only ReLU and LeakyReLU`);
  let slope = 0;
  if (activation === 2) {
    const params = l.floats(10);
    if (!params || params.length < 1) throw l.bad('has a fused LeakyReLU without its slope (param 10)');
    slope = params[0]!;
  }
  return [{ kind: 'act', layer: l.layer, input: conv, channels: out, act: { type: 'leaky', slope } }];
}
