import { WIDEST_TILE_GROUPS } from '../kernels/conv2d-tile.js';
import type { Graph } from '../graph/ir.js';
import type { ConvNode } from './ops.js';

/**
 * Which convs of a training step are packed for the widest register tile although they have
 * fewer output channels (an RGB output layer): the extra zero channels cost FLOPs, but the conv
 * then shares the pipeline of the network's other convs instead of compiling one of its own,
 * seconds of JIT on a CPU adapter. Done when it costs at most 1% of the step's conv FLOPs
 * (forward, input gradient and weight gradient: about 3× the forward's), as inference does
 * for the forward alone (graph/weights.ts).
 */
const BUDGET = 0.01;
const WIDEST = 4 * WIDEST_TILE_GROUPS;

export interface PackPolicy {
  /** Pack the conv run for `node` (its forward, or its input gradient) with cin → cout channels for the widest tile. */
  pad(node: ConvNode, cin: number, cout: number): boolean;
}

export function packPolicy(graph: Graph): PackPolicy {
  const convs = graph.nodes.filter((n): n is ConvNode => n.op === 'conv2d');
  const pixels = (n: ConvNode) => {
    const v = graph.values[n.output]!;
    return (v.num / v.den) ** 2;
  };
  const flops = (n: ConvNode, cout: number) => 2 * cout * n.weights.shape[1] * n.weights.shape[2] ** 2 * pixels(n);
  const step = 3 * convs.reduce((s, n) => s + flops(n, n.weights.shape[0]), 0);
  const fullWidth = new Set(convs.filter((n) => n.weights.shape[0] % WIDEST === 0).map((n) => n.weights.shape[2]));
  return {
    pad(node, cin, cout) {
      const extra = Math.ceil(cout / WIDEST) * WIDEST - cout;
      const k = node.weights.shape[2];
      if (extra === 0 || !fullWidth.has(k)) return false;
      return 2 * extra * cin * k * k * pixels(node) <= BUDGET * step;
    },
  };
}
