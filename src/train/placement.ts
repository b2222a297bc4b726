import type { Graph, Node, ValueId } from '../graph/ir.js';
import { nodeInputs } from '../graph/ir.js';
import type { Place, StorageSpec } from './ops.js';

/**
 * Where the forward values and their gradients live, as channel slices of logical storages
 * (addresses come later, from the memory plan). As in inference (graph/plan.ts), a concat's
 * inputs are placed as consecutive channel slices of the concat's own storage, largest concat
 * first, so the producers write straight into it and the concat costs nothing; an input that
 * cannot be placed so (already placed elsewhere) is copied. A value's gradient lives at the same
 * channels of its storage's gradient storage, so a dense block's gradients are slices too: each
 * conv's input gradient accumulates into the prefix it read, and a concat's backward is free.
 */
export interface ValuePlacement {
  readonly storages: StorageSpec[];
  /** Where each value lives. */
  readonly values: ReadonlyMap<ValueId, Place>;
  /** Concat inputs that had to be copied in: [from, into the concat output at this channel offset]. */
  readonly copies: ReadonlyMap<Node, { from: ValueId; into: Place }[]>;
  /** The gradient storage of a value storage (made on first use). */
  gradOf(storage: number): number;
}

export function placeValues(graph: Graph): ValuePlacement {
  const storages: StorageSpec[] = [];
  const values = new Map<ValueId, Place>();
  const copies = new Map<Node, { from: ValueId; into: Place }[]>();
  const newStorage = (id: ValueId, label: string): Place => {
    const v = graph.values[id]!;
    storages.push({ kind: 'value', channels: v.channels, num: v.num, den: v.den, label });
    return { storage: storages.length - 1, channelOffset: 0, channels: v.channels };
  };
  const concats = graph.nodes.filter((n): n is Extract<Node, { op: 'concat' }> => n.op === 'concat');
  concats.sort((a, b) => graph.values[b.output]!.channels - graph.values[a.output]!.channels);
  for (const c of concats) {
    // A smaller concat whose inputs already sit side by side (RRDB's x‖x1 inside x‖x1‖…‖x4) is
    // that slice.
    const first = values.get(c.inputs[0]!);
    let offset0 = first?.channelOffset ?? 0;
    const contiguous =
      first !== undefined &&
      c.inputs.every((id) => {
        const p = values.get(id);
        const ok = p !== undefined && p.storage === first.storage && p.channelOffset === offset0;
        offset0 += graph.values[id]!.channels;
        return ok;
      });
    if (!values.has(c.output) && contiguous) {
      values.set(c.output, { storage: first.storage, channelOffset: first.channelOffset, channels: graph.values[c.output]!.channels });
      copies.set(c, []);
      continue;
    }
    const home = values.get(c.output) ?? newStorage(c.output, `concat ${c.output}`);
    values.set(c.output, home);
    const copied: { from: ValueId; into: Place }[] = [];
    let offset = home.channelOffset;
    for (const id of c.inputs) {
      const channels = graph.values[id]!.channels;
      const p = values.get(id);
      const slot = { storage: home.storage, channelOffset: offset, channels };
      if (!p) values.set(id, slot);
      else if (p.storage !== home.storage || p.channelOffset !== offset) copied.push({ from: id, into: slot });
      offset += channels;
    }
    copies.set(c, copied);
  }
  const used = new Set<ValueId>([graph.input, graph.output, ...graph.nodes.flatMap((n) => [n.output, ...nodeInputs(n)])]);
  for (const id of used) if (!values.has(id)) values.set(id, newStorage(id, id === graph.input ? 'input' : id === graph.output ? 'output' : `value ${id}`));

  const grads = new Map<number, number>();
  const gradOf = (storage: number): number => {
    let g = grads.get(storage);
    if (g === undefined) {
      const s = storages[storage]!;
      storages.push({ ...s, kind: 'grad', label: `grad of ${s.label}` });
      g = storages.length - 1;
      grads.set(storage, g);
    }
    return g;
  };
  return { storages, values, copies, gradOf };
}
