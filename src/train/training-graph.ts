import { WgsrError } from '../errors.js';
import type { Graph, Node, ValueId } from '../graph/ir.js';
import { nodeInputs } from '../graph/ir.js';

type ConvNode = Extract<Node, { op: 'conv2d' }>;

/**
 * The graph a training step runs: the architecture's own graph (the one inference builds from),
 * with only nearest upsampling and pixel-unshuffle folded into the convs that read them. The
 * fold keeps the small tensor rather than its ×f² copy alive until the backward; the backward
 * materialises the transformed input for the weight gradient and takes the input gradient back
 * through the transform (block sum, pixel shuffle), one conv at a time.
 *
 * Nothing else is fused, unlike inference (graph/fuse.ts): an activation's backward needs the
 * value it saw (or gave), and a residual's the gradient before it, so each stays a node of its
 * own with its own kept value. Batch norms stay too: training normalises with the batch's
 * statistics. Only the untrained conv output of a fold disappears, never a value the gradient
 * needs.
 */
export function trainingGraph(graph: Graph): Graph {
  const readers = new Map<ValueId, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const v of nodeInputs(n)) readers.set(v, [...(readers.get(v) ?? []), i]);
  });
  const nodes: (Node | null)[] = [...graph.nodes];
  graph.nodes.forEach((n, i) => {
    if ((n.op !== 'upsample_nearest' && n.op !== 'pixel_unshuffle') || n.output === graph.output) return;
    const users = readers.get(n.output) ?? [];
    const convs = users.map((u) => nodes[u]!).filter((u): u is ConvNode => u.op === 'conv2d' && u.input === n.output && u.inputTransform.kind === 'none' && !u.residual);
    if (users.length === 0 || convs.length !== users.length) return;
    const inputTransform = n.op === 'upsample_nearest' ? { kind: 'upsample_nearest' as const, factor: n.factor } : { kind: 'pixel_unshuffle' as const, factor: n.factor };
    for (const u of users) nodes[u] = { ...(nodes[u] as ConvNode), input: n.input, inputTransform };
    nodes[i] = null;
  });
  for (const n of nodes) {
    if (n?.op === 'conv2d' && (n.activation.kind !== 'none' || n.residual)) {
      throw new WgsrError('UNSUPPORTED_MODEL', `${n.weights.name}: a conv with a fused activation or residual cannot be trained; build the graph with plain ops`);
    }
  }
  return { ...graph, nodes: nodes.filter((n): n is Node => n !== null) };
}
