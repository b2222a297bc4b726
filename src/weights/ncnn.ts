import { modelError } from './model-error.js';
import { readNcnnWeights, type NcnnWeights } from './ncnn-bin.js';
import { buildNcnnGraph, type NcnnGraph } from './ncnn-graph.js';
import type { NcnnMapping } from './ncnn-match.js';
import { parseNcnnParam } from './ncnn-param.js';
import { matchRRDBNet } from './ncnn-rrdbnet.js';
import { matchSRVGGNetCompact } from './ncnn-srvgg.js';
import type { LoadedWeights, StateDict, WeightTensor } from './types.js';

/**
 * Loads an ncnn model (the `.param` graph text and its `.bin` weights, as Upscayl and
 * realesrgan-ncnn-vulkan ship them) into Real-ESRGAN's state-dict layout, so that the rest of
 * wgsr sees an ordinary RRDBNet or SRVGGNetCompact checkpoint. The architecture is recognised
 * from the graph's structure, never from the file name. Tensors keep the dtype they are stored
 * in (ncnn models usually hold float16 weights and float32 biases).
 *
 * `source` names the .param file in error messages; the .bin is named after it.
 */
export function loadNcnn(param: Uint8Array, bin: Uint8Array, source = 'model.param'): LoadedWeights {
  const file = parseNcnnParam(param, source);
  const graph = buildNcnnGraph(file);
  const mapping = matchArchitecture(graph);
  const weights = readNcnnWeights(file, bin, binName(source));
  return { format: 'ncnn', stateDict: toStateDict(mapping, weights) };
}

/** "x4.param" → "x4.bin": what ncnn tools call the weights beside a .param. */
export function binName(paramSource: string): string {
  return paramSource.endsWith('.param') ? `${paramSource.slice(0, -'.param'.length)}.bin` : `${paramSource} (.bin)`;
}

/** RRDBNet ends in a convolution, SRVGGNetCompact in a sum with the upsampled input. */
function matchArchitecture(graph: NcnnGraph): NcnnMapping {
  const { output } = graph;
  const mapping = output.kind === 'conv' ? matchRRDBNet(graph) : output.kind === 'sum' ? matchSRVGGNetCompact(graph) : undefined;
  if (!mapping) {
    throw modelError(
      'UNSUPPORTED_MODEL',
      graph.source,
      `this ncnn graph is neither RRDBNet nor SRVGGNetCompact: its output comes from line ${output.layer.line} (${output.layer.type} ${output.layer.name}), ` +
        'where RRDBNet ends in a convolution and SRVGGNetCompact in a sum with its upsampled input.',
    );
  }
  // Every Convolution must have found its place, once (the matchers follow every input, so a
  // graph with one output cannot hide one; this guards the matchers themselves).
  const convs = new Set(mapping.entries.flatMap((e) => ('conv' in e ? [e.conv] : [])));
  if (convs.size !== graph.convCount || convs.size !== mapping.entries.filter((e) => 'conv' in e).length) {
    throw modelError('UNSUPPORTED_MODEL', graph.source, `read as ${mapping.arch}, ${convs.size} of the graph's ${graph.convCount} convolutions have a place in it.`);
  }
  return mapping;
}

/** The mapped modules' tensors, shaped as PyTorch has them, in the state dict's order. */
function toStateDict(mapping: NcnnMapping, weights: NcnnWeights): StateDict {
  const sd: StateDict = new Map();
  for (const entry of mapping.entries) {
    if ('conv' in entry) {
      const { conv, inFrom, outFrom } = entry;
      const stored = weights.conv.get(conv.layer)!;
      const k2 = conv.kernel * conv.kernel;
      const weight = reorder(stored.weight.data, conv.outChannels, conv.inChannels * k2, outFrom, inFrom && { order: inFrom, size: k2 });
      sd.set(`${entry.key}.weight`, { shape: [conv.outChannels, conv.inChannels, conv.kernel, conv.kernel], data: weight, dtype: stored.weight.dtype });
      // A convolution without bias_term adds zeros: the same function in the layout that has one.
      const bias = stored.bias ?? { shape: [conv.outChannels], data: new Float32Array(conv.outChannels), dtype: 'float32' };
      sd.set(`${entry.key}.bias`, { ...bias, data: reorder(bias.data, conv.outChannels, 1, outFrom) });
    } else {
      const { act } = entry.act;
      sd.set(`${entry.key}.weight`, act.type === 'prelu' ? weights.prelu.get(entry.act.layer)! : fixedSlope(act.slope, entry.channels));
    }
  }
  return sd;
}

function fixedSlope(slope: number, channels: number): WeightTensor {
  return { shape: [channels], data: new Float32Array(channels).fill(slope), dtype: 'float32' };
}

/**
 * Rows of `rowLength` values, row n taken from row rowFrom[n]; within each row, blocks of
 * `within.size` values, block n taken from block within.order[n]. Without orders, `data` as is.
 */
function reorder(data: Float32Array, rows: number, rowLength: number, rowFrom?: Int32Array, within?: { order: Int32Array; size: number }): Float32Array {
  if (!rowFrom && !within) return data;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const from = (rowFrom ? rowFrom[r]! : r) * rowLength;
    if (!within) {
      out.set(data.subarray(from, from + rowLength), r * rowLength);
      continue;
    }
    within.order.forEach((block, n) => out.set(data.subarray(from + block * within.size, from + (block + 1) * within.size), r * rowLength + n * within.size));
  }
  return out;
}
