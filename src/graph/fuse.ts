import type { Graph, Node, ValueId } from './ir.js';
import { nodeInputs } from './ir.js';

type ConvNode = Extract<Node, { op: 'conv2d' }>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Folds plain ops into the convs around them, so each is done in the conv's read or write
 * instead of a pass over memory of its own (ARCHITECTURE.md decisions 3 and 4):
 *  1. conv → activation            : the activation moves into the conv's epilogue;
 *  2. conv → add(α·y + β·r)        : the residual moves into the epilogue; a second add on top
 *                                    (RRDB's 0.2·(0.2·y + x3) + x0) becomes the r2 term;
 *  3. upsample / unshuffle → convs : the convs read the smaller tensor through the transform.
 * A fold only happens when the intermediate value has no other reader, so no result changes.
 * Concats are left to the planner, which makes them free by placing their inputs in one buffer.
 */
export function fuseGraph(graph: Graph): Graph {
  const nodes: (Mutable<Node> | null)[] = graph.nodes.map((n) => ({ ...n }) as Mutable<Node>);
  const producer = new Map<ValueId, number>();
  const consumers = new Map<ValueId, Set<number>>();
  const index = () => {
    producer.clear();
    consumers.clear();
    nodes.forEach((n, i) => {
      if (!n) return;
      producer.set(n.output, i);
      for (const v of nodeInputs(n as Node)) {
        if (!consumers.has(v)) consumers.set(v, new Set());
        consumers.get(v)!.add(i);
      }
    });
  };
  /** The conv that produces `v`, when `v` is read by exactly node `reader` and is not the graph output. */
  const soleConvProducer = (v: ValueId, reader: number): Mutable<ConvNode> | null => {
    if (v === graph.output) return null;
    const users = consumers.get(v);
    if (!users || users.size !== 1 || !users.has(reader)) return null;
    const p = producer.get(v);
    const n = p === undefined ? null : nodes[p];
    return n && n.op === 'conv2d' ? (n as Mutable<ConvNode>) : null;
  };
  const producedBefore = (v: ValueId, at: number) => v === graph.input || (producer.get(v) ?? Infinity) < at;

  // 1 and 2, in one forward sweep so that chains fold left to right.
  index();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!n) continue;
    if (n.op === 'activation') {
      const conv = soleConvProducer(n.input, i);
      if (conv && conv.activation.kind === 'none' && !conv.residual) {
        conv.activation = n.activation;
        conv.output = n.output;
        nodes[i] = null;
        index();
      }
    } else if (n.op === 'add' && n.bUpsample === 1) {
      for (const [y, r, a, b] of [
        [n.a, n.b, n.alpha, n.beta],
        [n.b, n.a, n.beta, n.alpha],
      ] as const) {
        const conv = soleConvProducer(y, i);
        if (!conv || !producedBefore(r, producer.get(y)!)) continue;
        const res = conv.residual;
        if (!res) conv.residual = { alpha: a, r1: r, beta: b };
        else if (res.r2 === undefined) conv.residual = { alpha: a * res.alpha, r1: res.r1, beta: a * res.beta, r2: r, gamma: b };
        else continue;
        conv.output = n.output;
        nodes[i] = null;
        index();
        break;
      }
    }
  }

  // 3: upsample / unshuffle read through by every conv that consumes them.
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!n || (n.op !== 'upsample_nearest' && n.op !== 'pixel_unshuffle') || n.output === graph.output) continue;
    const users = [...(consumers.get(n.output) ?? [])].map((u) => nodes[u]!);
    const foldable = users.every(
      (u) => u.op === 'conv2d' && u.input === n.output && u.inputTransform.kind === 'none' && !nodeInputs(u as Node).slice(1).includes(n.output),
    );
    if (!users.length || !foldable) continue;
    for (const u of users as Mutable<ConvNode>[]) {
      u.input = n.input;
      u.inputTransform = n.op === 'upsample_nearest' ? { kind: 'upsample_nearest', factor: n.factor } : { kind: 'pixel_unshuffle', factor: n.factor };
    }
    nodes[i] = null;
    index();
  }

  return { ...graph, nodes: nodes.filter((n): n is Mutable<Node> => n !== null) as Node[] };
}
