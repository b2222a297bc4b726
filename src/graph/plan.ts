import type { Graph, Node, Value, ValueId } from './ir.js';
import { nodeInputs } from './ir.js';

/**
 * Memory planning, in the manner of ggml's graph allocator:
 *
 * 1. Placement. Every value lives in a *storage* (a [C, H, W] region) at a channel offset.
 *    A concat's inputs are placed as consecutive channel slices of the concat's own storage,
 *    so producers write straight into it and the concat costs nothing. The largest concat is
 *    placed first, so RRDB's nested concats (x, x‖c1, x‖c1‖c2, …) all become prefixes of one
 *    storage per dense block. An input that cannot be placed (already placed elsewhere) is
 *    copied by an explicit step.
 * 2. Lifetimes. A storage is live from the step that first writes any of its values to the
 *    last step that reads one; the graph input and output are pinned.
 * 3. Buffers. Walking the steps in order, each storage takes the smallest free buffer that is
 *    big enough (or grows the largest free one, or makes a new one) and returns it after its
 *    last reader. Sizes are proportional to the tile's pixel count for every storage, so the
 *    assignment is computed once, in "elements per input pixel", and holds for every tile size.
 */
export interface Storage {
  readonly channels: number;
  readonly num: number;
  readonly den: number;
  /** channels · (num/den)²: elements per input pixel. */
  readonly weight: number;
  firstDef: number;
  lastUse: number;
  buffer: number;
}

export interface Placement {
  readonly storage: number;
  readonly channelOffset: number;
}

export type Step =
  | { readonly kind: 'node'; readonly node: Node }
  /** Copies `from` into channels [channelOffset, …) of `into`'s storage (a concat input that could not be placed). */
  | { readonly kind: 'copy'; readonly from: ValueId; readonly into: ValueId; readonly channelOffset: number };

export interface MemoryPlan {
  readonly graph: Graph;
  readonly steps: readonly Step[];
  readonly placements: ReadonlyMap<ValueId, Placement>;
  readonly storages: readonly Storage[];
  /** Elements per input pixel of each buffer. */
  readonly bufferWeights: readonly number[];
}

export function planMemory(graph: Graph): MemoryPlan {
  const values = graph.values;
  const storages: Storage[] = [];
  const placements = new Map<ValueId, Placement>();
  const newStorage = (v: Value) => {
    storages.push({ channels: v.channels, num: v.num, den: v.den, weight: (v.channels * v.num * v.num) / (v.den * v.den), firstDef: Infinity, lastUse: -Infinity, buffer: -1 });
    return storages.length - 1;
  };

  // 1. Concats, largest first.
  const copies = new Map<Node, Step[]>();
  const concats = graph.nodes.filter((n): n is Extract<Node, { op: 'concat' }> => n.op === 'concat');
  concats.sort((a, b) => values[b.output]!.channels - values[a.output]!.channels);
  for (const c of concats) {
    const placedContiguously = c.inputs.every((id, i) => {
      const p = placements.get(id);
      const first = placements.get(c.inputs[0]!);
      const offset = c.inputs.slice(0, i).reduce((s, j) => s + values[j]!.channels, 0);
      return p && first && p.storage === first.storage && p.channelOffset === first.channelOffset + offset;
    });
    if (!placements.has(c.output) && placedContiguously) {
      placements.set(c.output, placements.get(c.inputs[0]!)!);
      continue;
    }
    if (!placements.has(c.output)) placements.set(c.output, { storage: newStorage(values[c.output]!), channelOffset: 0 });
    const home = placements.get(c.output)!;
    const steps: Step[] = [];
    let offset = home.channelOffset;
    for (const id of c.inputs) {
      const p = placements.get(id);
      if (!p) placements.set(id, { storage: home.storage, channelOffset: offset });
      else if (p.storage !== home.storage || p.channelOffset !== offset) {
        steps.push({ kind: 'copy', from: id, into: c.output, channelOffset: offset - home.channelOffset });
      }
      offset += values[id]!.channels;
    }
    copies.set(c, steps);
  }
  // Every other value gets a storage of its own.
  const used = new Set<ValueId>([graph.input, graph.output, ...graph.nodes.flatMap((n) => [n.output, ...nodeInputs(n)])]);
  for (const id of used) if (!placements.has(id)) placements.set(id, { storage: newStorage(values[id]!), channelOffset: 0 });

  // Steps: nodes in order; a concat becomes its copies (often none).
  const steps: Step[] = graph.nodes.flatMap((n): Step[] => (n.op === 'concat' ? copies.get(n) ?? [] : [{ kind: 'node', node: n }]));

  // 2. Lifetimes.
  const touch = (id: ValueId, at: number, write: boolean) => {
    const s = storages[placements.get(id)!.storage]!;
    if (write) s.firstDef = Math.min(s.firstDef, at);
    s.lastUse = Math.max(s.lastUse, at);
  };
  touch(graph.input, -1, true);
  steps.forEach((step, i) => {
    if (step.kind === 'copy') {
      touch(step.from, i, false);
      touch(step.into, i, true);
    } else {
      for (const id of nodeInputs(step.node)) touch(id, i, false);
      touch(step.node.output, i, true);
    }
  });
  touch(graph.output, Infinity, false);

  // 3. Buffers.
  const bufferWeights: number[] = [];
  const free = new Set<number>();
  const order = storages.map((_, i) => i).filter((i) => storages[i]!.firstDef !== Infinity);
  for (let at = -1; at < steps.length; at++) {
    for (const si of order) {
      const s = storages[si]!;
      if (s.firstDef !== at) continue;
      let best = -1;
      for (const b of free) if (bufferWeights[b]! >= s.weight && (best < 0 || bufferWeights[b]! < bufferWeights[best]!)) best = b;
      if (best < 0 && free.size) {
        best = [...free].reduce((a, b) => (bufferWeights[a]! >= bufferWeights[b]! ? a : b));
        bufferWeights[best] = s.weight;
      }
      if (best < 0) best = bufferWeights.push(s.weight) - 1;
      free.delete(best);
      s.buffer = best;
    }
    for (const si of order) if (storages[si]!.lastUse === at) free.add(storages[si]!.buffer);
  }
  return { graph, steps, placements, storages, bufferWeights };
}

/** Bytes the plan allocates for an input of h×w, and what one buffer per value would take. */
export function plannedBytes(plan: MemoryPlan, height: number, width: number, bytesPerElement = 4): { planned: number; naive: number; largestBuffer: number } {
  const px = height * width * bytesPerElement;
  const planned = plan.bufferWeights.reduce((s, w) => s + w, 0) * px;
  const largestBuffer = Math.max(...plan.bufferWeights) * px;
  const naive = plan.graph.values.reduce((s, v) => s + (v.channels * v.num * v.num) / (v.den * v.den), 0) * px;
  return { planned, naive, largestBuffer };
}
