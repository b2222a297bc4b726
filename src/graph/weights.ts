import { uploadPreluSlopes, type PreluSlopes } from '../kernels/activation.js';
import { convFlops } from '../kernels/conv2d.js';
import { WIDEST_TILE_GROUPS } from '../kernels/conv2d-tile.js';
import { allocateConv2dWeights, type PackedConv2dWeights } from '../kernels/conv2d-weights.js';
import type { Graph, Node } from './ir.js';

/** Parameters uploaded once per model: conv weights (with fused PReLU slopes) and standalone PReLU slopes. */
export interface PackedWeights {
  readonly convs: Map<Node, PackedConv2dWeights>;
  readonly slopes: Map<Node, PreluSlopes>;
  readonly buffers: GPUBuffer[];
}

/**
 * A narrow conv (an RGB output layer) is packed for the widest register tile when the zero
 * channels that adds cost at most this share of the network's conv FLOPs: it then shares the
 * pipeline of the other convs instead of compiling its own, seconds of JIT at first use on a
 * CPU adapter. Real-ESRGAN's conv_last (64→3 at ×4) adds 0.7%; EDSR's tail would add ~8%.
 */
const PAD_TO_WIDEST_TILE_BUDGET = 0.01;
/** Output channels of the widest conv tile. */
const WIDEST_TILE_CHANNELS = 4 * WIDEST_TILE_GROUPS;

/** The conv's FLOPs per input pixel, as if it had `cout` output channels. */
function convFlopsPerInputPixel(graph: Graph, node: Extract<Node, { op: 'conv2d' }>, cout: number): number {
  const [, cin, k] = node.weights.shape;
  const out = graph.values[node.output]!;
  return convFlops(cin, cout, k, (out.num / out.den) ** 2);
}

/**
 * The convs of `graph` whose output channels get padded up to the widest tile: narrow ones
 * whose kernel size some full-width conv of the network shares (so there is a pipeline to
 * join), within the FLOP budget.
 */
export function convsPaddedToWidestTile(graph: Graph): Set<Node> {
  const convs = graph.nodes.filter((n): n is Extract<Node, { op: 'conv2d' }> => n.op === 'conv2d');
  const totalFlops = convs.reduce((sum, n) => sum + convFlopsPerInputPixel(graph, n, n.weights.shape[0]), 0);
  const extraChannels = (n: Extract<Node, { op: 'conv2d' }>) => {
    const cout = n.weights.shape[0];
    return Math.ceil(cout / WIDEST_TILE_CHANNELS) * WIDEST_TILE_CHANNELS - cout;
  };
  const fullWidthKernels = new Set(convs.filter((n) => extraChannels(n) === 0).map((n) => n.weights.shape[2]));
  return new Set(
    convs.filter((n) => {
      const extra = extraChannels(n);
      return extra > 0 && fullWidthKernels.has(n.weights.shape[2]) && convFlopsPerInputPixel(graph, n, extra) <= PAD_TO_WIDEST_TILE_BUDGET * totalFlops;
    }),
  );
}

/**
 * Checks and lays out every parameter of `graph` and creates their buffers; the conv weights
 * (nearly all the bytes) hold zeros until `upload` packs and writes them, so that kernels can
 * be dispatched first, to get them compiled while the CPU packs (see GraphExecutor.create).
 */
export function allocateGraphWeights(device: GPUDevice, graph: Graph): { weights: PackedWeights; upload: () => void } {
  const weights: PackedWeights = { convs: new Map(), slopes: new Map(), buffers: [] };
  const uploads: (() => void)[] = [];
  const padded = convsPaddedToWidestTile(graph);
  for (const node of graph.nodes) {
    if (node.op === 'conv2d') {
      const { weights: source, activation: act } = node;
      const conv = allocateConv2dWeights(device, {
        weight: source.weight,
        shape: source.shape,
        bias: source.bias,
        preluSlopes: act.kind === 'prelu' ? act.slopes : undefined,
        label: source.name,
        padToWidestTile: padded.has(node),
      });
      weights.convs.set(node, conv.weights);
      weights.buffers.push(conv.weights.buffer);
      uploads.push(conv.upload);
    } else if (node.op === 'activation' && node.activation.kind === 'prelu') {
      const s = uploadPreluSlopes(device, node.activation.slopes, 'PReLU slopes');
      weights.slopes.set(node, s);
      weights.buffers.push(s.buffer);
    }
  }
  return { weights, upload: () => uploads.forEach((upload) => upload()) };
}
