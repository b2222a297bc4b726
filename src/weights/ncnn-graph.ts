import { modelError } from './model-error.js';
import { LAYERS, LayerContext, layerError, SUPPORTED_LAYERS, type GraphState } from './ncnn-layers.js';
import type { InputNode, NcnnNode } from './ncnn-nodes.js';
import { where, type NcnnLayer, type NcnnParamFile } from './ncnn-param.js';

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

export interface NcnnGraph {
  readonly source: string;
  readonly input: InputNode;
  /** The one blob no layer reads. */
  readonly output: NcnnNode;
  /** Every Convolution layer, to check the matchers place each exactly once. */
  readonly convCount: number;
}

/**
 * The graph of a parsed .param: each layer's inputs looked up by blob name, the layer turned
 * into nodes by its handler (ncnn-layers.ts), its outputs registered under their blob names.
 */
export function buildNcnnGraph(param: NcnnParamFile): NcnnGraph {
  const { source } = param;
  const produced = new Map<string, { node: NcnnNode; layer: NcnnLayer }>();
  const consumed = new Set<string>();
  const state: GraphState = { input: undefined, convCount: 0 };

  for (const layer of param.layers) {
    const inputs = layer.bottoms.map((name) => {
      const from = produced.get(name);
      if (!from) throw layerError(source, layer, `reads blob "${name}", which no earlier layer produces`);
      consumed.add(name);
      return from.node;
    });
    const handler = LAYERS[layer.type];
    if (!handler) {
      throw modelError(
        'UNSUPPORTED_MODEL',
        source,
        `ncnn layer ${layer.type} at line ${layer.line} is not supported. wgsr reads the ncnn form of RRDBNet and SRVGGNetCompact, made of ${SUPPORTED_LAYERS}.`,
      );
    }
    const outputs = handler(new LayerContext(source, layer, inputs), state);
    layer.tops.forEach((name, i) => {
      const before = produced.get(name);
      if (before) throw layerError(source, layer, `produces blob "${name}", which ${where(before.layer)} already produced`);
      produced.set(name, { node: outputs[i]!, layer });
    });
  }

  if (!state.input) throw modelError('BAD_MODEL', source, 'bad ncnn .param file: it has no Input layer.');
  const sinks = [...produced].filter(([name]) => !consumed.has(name));
  if (sinks.length !== 1) {
    const names = sinks.slice(0, 4).map(([name, { layer }]) => `"${name}" (${where(layer)})`);
    throw modelError('UNSUPPORTED_MODEL', source, `the ncnn graph has ${sinks.length} outputs (${names.join(', ')}${sinks.length > 4 ? ', …' : ''}); wgsr runs networks with one output.`);
  }
  return { source, input: state.input, output: sinks[0]![1].node, convCount: state.convCount };
}
