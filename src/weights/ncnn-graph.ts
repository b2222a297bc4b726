import { modelError } from './model-error.js';
import { floatParam, floatsParam, intParam, where, type NcnnLayer, type NcnnParamFile } from './ncnn-param.js';

/**
 * The data flow of an ncnn .param, followed by blob name: each layer's inputs must be blobs an
 * earlier layer produced, and each layer becomes a node that points at the nodes it reads. Split
 * (ncnn's fan-out) is no node at all — its outputs are its input — so a value used in several
 * places is one node, and the architecture matchers can compare nodes by identity. The layers
 * are reduced to the few operations RRDBNet and SRVGGNetCompact are made of:
 *
 * - a 3×3 convolution (stride 1, padding 1); a fused activation becomes its own node;
 * - an activation: PReLU, or ReLU / LeakyReLU as one fixed slope;
 * - a weighted sum (Eltwise SUM with coefficients, BinaryOp add, BinaryOp mul/div by a scalar;
 *   a scaled value used as a term has its scale folded into the coefficient);
 * - channel concatenation, nearest upsampling by an integer factor, pixel shuffle, pixel unshuffle.
 *
 * Anything else is refused here, naming the layer type and line. Channel counts are followed
 * where they are known, so a layer whose weights do not fit its input is reported at that layer.
 */

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

export interface NcnnGraph {
  readonly source: string;
  readonly input: InputNode;
  /** The one blob no layer reads. */
  readonly output: NcnnNode;
  /** Every Convolution layer, to check the matchers place each exactly once. */
  readonly convCount: number;
}

/** Convolution activation_type (param 9) values ncnn defines. */
const ACTIVATIONS = ['none', 'ReLU', 'LeakyReLU', 'Clip', 'Sigmoid', 'Mish', 'HardSwish'];
/** BinaryOp op_type (param 0) values ncnn defines. */
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'rsub', 'rdiv', 'rpow', 'atan2', 'ratan2'];
/** ncnn's pad value for "SAME" padding (-233 upper, -234 lower): one pixel each side for 3×3, stride 1. */
const SAME_PADDING = [-233, -234];
const SUPPORTED_LAYERS = 'Input, Split, Convolution, ReLU, PReLU, Eltwise (sum), BinaryOp (add, scalar mul/div), Concat, Interp (nearest), PixelShuffle, Reorg';
/** Upsampling factors past this are no super-resolution network. */
const MAX_FACTOR = 16;

export function buildNcnnGraph(param: NcnnParamFile): NcnnGraph {
  const { source } = param;
  const produced = new Map<string, { node: NcnnNode; layer: NcnnLayer }>();
  const consumed = new Set<string>();
  let input: InputNode | undefined;
  let convCount = 0;

  const unsupported = (layer: NcnnLayer, message: string) => modelError('UNSUPPORTED_MODEL', source, `${where(layer)}: ${message}`);
  const bad = (layer: NcnnLayer, message: string) => modelError('BAD_MODEL', source, `bad ncnn .param file: ${where(layer)}: ${message}.`);
  const int = (layer: NcnnLayer, id: number, fallback: number) => intParam(layer, id, fallback, source);
  const float = (layer: NcnnLayer, id: number, fallback: number) => floatParam(layer, id, fallback, source);

  for (const layer of param.layers) {
    const arity = (inputs: number | 'any', outputs: number | 'any') => {
      const okIn = inputs === 'any' ? layer.bottoms.length >= 1 : layer.bottoms.length === inputs;
      const okOut = outputs === 'any' ? layer.tops.length >= 1 : layer.tops.length === outputs;
      if (!okIn || !okOut) {
        const say = (n: number | 'any') => (n === 'any' ? 'one or more' : String(n));
        throw bad(layer, `takes ${say(inputs)} input and ${say(outputs)} output blobs, not ${layer.bottoms.length} and ${layer.tops.length}`);
      }
    };
    const inputs = layer.bottoms.map((name) => {
      const from = produced.get(name);
      if (!from) throw bad(layer, `reads blob "${name}", which no earlier layer produces`);
      consumed.add(name);
      return from.node;
    });
    const one = () => inputs[0]!;
    const channelsOf = (node: NcnnNode) => node.channels;

    let outputs: NcnnNode[];
    switch (layer.type) {
      case 'Input': {
        arity(0, 1);
        if (input) throw unsupported(layer, `a second Input (the first is at line ${input.layer.line}); wgsr runs networks with one input`);
        const c = int(layer, 2, 0);
        input = { kind: 'input', layer, channels: c > 0 ? c : undefined };
        outputs = [input];
        break;
      }
      case 'Split':
        arity(1, 'any');
        outputs = layer.tops.map(one);
        break;
      case 'Convolution': {
        arity(1, 1);
        outputs = convolution(layer, one());
        convCount++;
        break;
      }
      case 'ReLU': {
        arity(1, 1);
        outputs = [{ kind: 'act', layer, input: one(), channels: channelsOf(one()), act: { type: 'leaky', slope: float(layer, 0, 0) } }];
        break;
      }
      case 'PReLU': {
        arity(1, 1);
        const slopes = int(layer, 0, 0);
        const channels = channelsOf(one());
        if (slopes < 1) throw bad(layer, `has ${slopes} slopes (param 0)`);
        if (slopes > 1 && channels !== undefined && slopes !== channels) throw bad(layer, `has ${slopes} slopes but its input has ${channels} channels`);
        outputs = [{ kind: 'act', layer, input: one(), channels, act: { type: 'prelu', slopes } }];
        break;
      }
      case 'Eltwise': {
        arity('any', 1);
        const op = int(layer, 0, 0);
        if (op !== 1) throw unsupported(layer, `Eltwise ${['product', 'sum', 'max'][op] ?? `op_type ${op}`} is not supported; only sums appear in RRDBNet and SRVGGNetCompact`);
        const coeffs = floatsParam(layer, 1, source) ?? [];
        if (coeffs.length !== 0 && coeffs.length !== inputs.length) throw bad(layer, `has ${inputs.length} inputs but ${coeffs.length} coefficients`);
        outputs = [sum(layer, inputs.map((node, i) => ({ coef: coeffs[i] ?? 1, node })))];
        break;
      }
      case 'BinaryOp': {
        const op = int(layer, 0, 0);
        const opName = BINARY_OPS[op] ?? `op_type ${op}`;
        if (int(layer, 1, 0) !== 0) {
          arity(1, 1);
          const b = float(layer, 2, 0);
          if ((op !== 2 && op !== 3) || (op === 3 && b === 0)) {
            throw unsupported(layer, `BinaryOp ${opName} with the scalar ${b} is not supported (input normalisation or another operation RRDBNet and SRVGGNetCompact do not have); only multiplying or dividing by a scalar is`);
          }
          outputs = [sum(layer, [{ coef: op === 2 ? b : Math.fround(1 / b), node: one() }])];
        } else {
          arity(2, 1);
          if (op !== 0) throw unsupported(layer, `BinaryOp ${opName} of two blobs is not supported; only add is`);
          outputs = [sum(layer, inputs.map((node) => ({ coef: 1, node })))];
        }
        break;
      }
      case 'Concat': {
        arity('any', 1);
        const axis = int(layer, 0, 0);
        if (axis !== 0 && axis !== -3) throw unsupported(layer, `Concat along axis ${axis} is not supported; only along channels (axis 0)`);
        const counts = inputs.map(channelsOf);
        const channels = counts.every((c) => c !== undefined) ? counts.reduce((a, b) => a! + b!, 0) : undefined;
        outputs = [{ kind: 'concat', layer, parts: inputs, channels }];
        break;
      }
      case 'Interp': {
        arity(1, 1);
        const type = int(layer, 0, 0);
        if (type !== 1) throw unsupported(layer, `Interp with resize_type ${type} (${['none', 'nearest', 'bilinear', 'bicubic'][type] ?? 'unknown'}) is not supported; only nearest`);
        if (int(layer, 3, 0) || int(layer, 4, 0) || int(layer, 5, 0) || layer.params.has(9)) {
          throw unsupported(layer, 'Interp to a fixed or computed output size is not supported; only by a scale factor');
        }
        const h = float(layer, 1, 1);
        const w = float(layer, 2, 1);
        if (h !== w || !Number.isInteger(h) || h < 1 || h > MAX_FACTOR) {
          throw unsupported(layer, `Interp by ${h}×${w} is not supported; only by one whole factor up to ${MAX_FACTOR}`);
        }
        outputs = [{ kind: 'upsample', layer, input: one(), factor: h, channels: channelsOf(one()) }];
        break;
      }
      case 'PixelShuffle':
      case 'Reorg': {
        arity(1, 1);
        const factor = int(layer, 0, 1);
        const mode = int(layer, 1, 0);
        if (factor < 1 || factor > MAX_FACTOR) throw unsupported(layer, `a factor of ${factor} is not supported (1 to ${MAX_FACTOR})`);
        if (mode !== 0 && mode !== 1) throw bad(layer, `has mode ${mode}; ncnn knows 0 and 1`);
        const c = channelsOf(one());
        let channels = c === undefined ? undefined : c * factor * factor;
        if (layer.type === 'PixelShuffle' && c !== undefined) {
          if (c % (factor * factor) !== 0) throw bad(layer, `shuffles ${c} channels by ${factor}, which needs a multiple of ${factor * factor}`);
          channels = c / (factor * factor);
        }
        outputs = [{ kind: layer.type === 'PixelShuffle' ? 'pixelShuffle' : 'pixelUnshuffle', layer, input: one(), factor, mode, channels }];
        break;
      }
      default:
        throw modelError(
          'UNSUPPORTED_MODEL',
          source,
          `ncnn layer ${layer.type} at line ${layer.line} is not supported. wgsr reads the ncnn form of RRDBNet and SRVGGNetCompact, made of ${SUPPORTED_LAYERS}.`,
        );
    }

    layer.tops.forEach((name, i) => {
      const before = produced.get(name);
      if (before) throw bad(layer, `produces blob "${name}", which ${where(before.layer)} already produced`);
      produced.set(name, { node: outputs[i]!, layer });
    });
  }

  if (!input) throw modelError('BAD_MODEL', source, 'bad ncnn .param file: it has no Input layer.');
  const sinks = [...produced].filter(([name]) => !consumed.has(name));
  if (sinks.length !== 1) {
    const names = sinks.slice(0, 4).map(([name, { layer }]) => `"${name}" (${where(layer)})`);
    throw modelError('UNSUPPORTED_MODEL', source, `the ncnn graph has ${sinks.length} outputs (${names.join(', ')}${sinks.length > 4 ? ', …' : ''}); wgsr runs networks with one output.`);
  }
  return { source, input, output: sinks[0]![1].node, convCount };

  function convolution(layer: NcnnLayer, from: NcnnNode): NcnnNode[] {
    const out = int(layer, 0, 0);
    const kw = int(layer, 1, 0);
    const kh = int(layer, 11, kw);
    const dilation = [int(layer, 2, 1), int(layer, 12, int(layer, 2, 1))];
    const stride = [int(layer, 3, 1), int(layer, 13, int(layer, 3, 1))];
    const left = int(layer, 4, 0);
    const top = int(layer, 14, left);
    const pads = [left, int(layer, 15, left), top, int(layer, 16, top)];
    if (int(layer, 8, 0)) throw unsupported(layer, 'an int8-quantised convolution (int8_scale_term) is not supported; use the float model');
    if (int(layer, 19, 0)) throw unsupported(layer, 'a convolution with dynamic weights (a second input) is not supported');
    if (out < 1) throw bad(layer, `has ${out} outputs (param 0)`);
    if (kw !== 3 || kh !== 3) throw unsupported(layer, `a ${kw}×${kh} convolution is not supported; RRDBNet and SRVGGNetCompact use 3×3`);
    if (dilation.some((d) => d !== 1) || stride.some((s) => s !== 1)) {
      throw unsupported(layer, `a convolution with dilation ${dilation.join('×')} and stride ${stride.join('×')} is not supported; only 1`);
    }
    const same = pads.every((p) => SAME_PADDING.includes(p));
    if (!same && pads.some((p) => p !== 1)) throw unsupported(layer, `a 3×3 convolution with padding ${pads.join(', ')} is not supported; only 1 on every side`);
    if (float(layer, 18, 0) !== 0) throw unsupported(layer, `padding with the value ${float(layer, 18, 0)} is not supported; only zeros`);
    const size = int(layer, 6, 0);
    if (size < 1 || size % (out * 9) !== 0) throw bad(layer, `has ${size} weights (param 6), not a multiple of ${out} outputs × 3×3`);
    const inChannels = size / (out * 9);
    if (from.channels !== undefined && from.channels !== inChannels) {
      throw bad(layer, `has weights for ${inChannels} input channels but its input has ${from.channels}`);
    }
    const conv: ConvNode = { kind: 'conv', layer, input: from, outChannels: out, inChannels, kernel: 3, bias: int(layer, 5, 0) !== 0, channels: out };

    const activation = int(layer, 9, 0);
    if (activation === 0) return [conv];
    if (activation !== 1 && activation !== 2) throw unsupported(layer, `a convolution with a fused ${ACTIVATIONS[activation] ?? `activation_type ${activation}`} is not supported; only ReLU and LeakyReLU`);
    let slope = 0;
    if (activation === 2) {
      const params = floatsParam(layer, 10, source);
      if (!params || params.length < 1) throw bad(layer, 'has a fused LeakyReLU without its slope (param 10)');
      slope = params[0]!;
    }
    return [{ kind: 'act', layer, input: conv, channels: out, act: { type: 'leaky', slope } }];
  }

  /** A sum; a term that is itself one scaled value contributes that value with the product of the scales. */
  function sum(layer: NcnnLayer, terms: { coef: number; node: NcnnNode }[]): SumNode {
    const flat = terms.map((t) => (t.node.kind === 'sum' && t.node.terms.length === 1 ? { coef: Math.fround(t.coef * t.node.terms[0]!.coef), node: t.node.terms[0]!.node } : t));
    const counts = flat.map((t) => t.node.channels).filter((c) => c !== undefined);
    if (counts.some((c) => c !== counts[0])) throw bad(layer, `adds values of ${counts.join(' and ')} channels`);
    return { kind: 'sum', layer, terms: flat, channels: counts[0] };
  }
}

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
