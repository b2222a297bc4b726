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
  // Who produces and who reads each value, kept up to date as folds rewrite nodes (rebuilding
  // it after every fold was quadratic: a third of a second for RRDBNet's 627 nodes).
  const producer = new Map<ValueId, number>();
  const consumers = new Map<ValueId, Set<number>>();
  const unindex = (i: number) => {
    const n = nodes[i]!;
    if (producer.get(n.output) === i) producer.delete(n.output);
    for (const v of nodeInputs(n as Node)) consumers.get(v)?.delete(i);
  };
  const index = (i: number) => {
    const n = nodes[i]!;
    producer.set(n.output, i);
    for (const v of nodeInputs(n as Node)) {
      if (!consumers.has(v)) consumers.set(v, new Set());
      consumers.get(v)!.add(i);
    }
  };
  /** Rewrites the nodes `into` by `change` and removes node `removed`, keeping the index right. */
  const fold = (removed: number, into: readonly number[], change: () => void) => {
    unindex(removed);
    into.forEach(unindex);
    change();
    nodes[removed] = null;
    into.forEach(index);
  };
  /** The index of the conv that produces `v`, when `v` is read by exactly node `reader` and is not the graph output. */
  const soleConvProducer = (v: ValueId, reader: number): number | null => {
    if (v === graph.output) return null;
    const users = consumers.get(v);
    if (!users || users.size !== 1 || !users.has(reader)) return null;
    const p = producer.get(v);
    return p !== undefined && nodes[p]?.op === 'conv2d' ? p : null;
  };
  const producedBefore = (v: ValueId, at: number) => v === graph.input || (producer.get(v) ?? Infinity) < at;

  // 1 and 2, in one forward sweep so that chains fold left to right.
  nodes.forEach((_, i) => index(i));
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!n) continue;
    if (n.op === 'activation') {
      const p = soleConvProducer(n.input, i);
      const conv = p === null ? null : (nodes[p] as Mutable<ConvNode>);
      if (conv && conv.activation.kind === 'none' && !conv.residual) {
        fold(i, [p!], () => {
          conv.activation = n.activation;
          conv.output = n.output;
        });
      }
    } else if (n.op === 'add' && n.bUpsample === 1) {
      for (const [y, r, a, b] of [
        [n.a, n.b, n.alpha, n.beta],
        [n.b, n.a, n.beta, n.alpha],
      ] as const) {
        const p = soleConvProducer(y, i);
        if (p === null || !producedBefore(r, p)) continue;
        const conv = nodes[p] as Mutable<ConvNode>;
        const res = conv.residual;
        if (res?.r2 !== undefined) continue;
        fold(i, [p], () => {
          conv.residual = res ? { alpha: a * res.alpha, r1: res.r1, beta: a * res.beta, r2: r, gamma: b } : { alpha: a, r1: r, beta: b };
          conv.output = n.output;
        });
        break;
      }
    }
  }

  // 3: upsample / unshuffle read through by every conv that consumes them.
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!n || (n.op !== 'upsample_nearest' && n.op !== 'pixel_unshuffle') || n.output === graph.output) continue;
    const userIds = [...(consumers.get(n.output) ?? [])];
    const users = userIds.map((u) => nodes[u]!);
    const foldable = users.every(
      (u) => u.op === 'conv2d' && u.input === n.output && u.inputTransform.kind === 'none' && !nodeInputs(u as Node).slice(1).includes(n.output),
    );
    if (!users.length || !foldable) continue;
    fold(i, userIds, () => {
      for (const u of users as Mutable<ConvNode>[]) {
        u.input = n.input;
        u.inputTransform = n.op === 'upsample_nearest' ? { kind: 'upsample_nearest', factor: n.factor } : { kind: 'pixel_unshuffle', factor: n.factor };
      }
    });
  }

  return { ...graph, nodes: nodes.filter((n): n is Mutable<Node> => n !== null) as Node[] };
}
