import type { Graph, Node, Value, ValueId } from './ir.js';
import { nodeInputs } from './ir.js';
import { bestFit, giveBack, takeRange, type Range } from './free-ranges.js';
import { gcd } from './rational.js';

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
 * 3. Packing. The storages of plain values (no concat, not the graph's input or output) are
 *    packed as channel slices into shared storages, *arenas*: walking the steps, each takes the
 *    best-fitting free range of an open arena (or opens a new one) and gives it back after its
 *    last reader; an arena with nothing left in it closes. Why: with a buffer per storage,
 *    EDSR ×2 keeps four 64-channel storages live in its body and two of 256 elements per pixel
 *    in its tail, so its buffers add up to at least 256 + 256 + 64 + 64 = 640, 1.25× the 512
 *    ever live at once; slices of one arena need no buffer of their own (it then plans 512).
 *    An arena holds at most as much as the largest storage, so no buffer is larger than before
 *    (the per-binding limit caps the tile size through the largest buffer). Concat storages
 *    are not packed (one storage per dense block), nor are the input and output, which are
 *    uploaded and read back whole.
 * 4. Buffers. Walking the steps in order, each storage takes the smallest free buffer that is
 *    big enough (or grows the largest free one, or makes a new one) and returns it after its
 *    last reader. Sizes are proportional to the tile's pixel count for every storage, so the
 *    assignment is computed once, in "elements per input pixel", and holds for every tile size.
 */
export interface Storage {
  readonly channels: number;
  readonly num: number;
  readonly den: number;
  /** channels · (num/den)²: elements per input pixel. */
  readonly elementsPerPixel: number;
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
  readonly bufferSizes: readonly number[];
  /**
   * Elements per input pixel of the storages live at each step, before packing (index 0: before
   * the first step, when only the input exists). Its largest entry is the planner's minimum.
   */
  readonly liveSizes: readonly number[];
}

export function planMemory(graph: Graph): MemoryPlan {
  const values = graph.values;
  let storages: Storage[] = [];
  const placements = new Map<ValueId, Placement>();
  const newStorage = (v: Value) => {
    storages.push({ channels: v.channels, num: v.num, den: v.den, elementsPerPixel: (v.channels * v.num * v.num) / (v.den * v.den), firstDef: Infinity, lastUse: -Infinity, buffer: -1 });
    return storages.length - 1;
  };

  // 1. Concats, largest first.
  const concatHomes = new Set<number>();
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
    if (!placements.has(c.output)) {
      placements.set(c.output, { storage: newStorage(values[c.output]!), channelOffset: 0 });
      concatHomes.add(placements.get(c.output)!.storage);
    }
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
  const liveSizes = liveProfile(storages, steps.length);

  // 3. Packing.
  const pinned = new Set([placements.get(graph.input)!.storage, placements.get(graph.output)!.storage]);
  const packable = storages.map((s, i) => !concatHomes.has(i) && !pinned.has(i) && s.firstDef !== Infinity);
  const packed = packStorages(storages, packable, steps.length);
  for (const [id, p] of placements) {
    const moved = packed.moved[p.storage]!;
    placements.set(id, { storage: moved.storage, channelOffset: p.channelOffset + moved.channelOffset });
  }
  storages = packed.storages;

  // 4. Buffers.
  const bufferSizes = assignBuffers(storages, steps.length);
  return { graph, steps, placements, storages, bufferSizes, liveSizes };
}

/**
 * Step 4 of planMemory: walking the steps in order, each storage takes the smallest free
 * buffer that is big enough (or grows the largest free one, or makes a new one) and gives it
 * back after its last reader. Sets each storage's `buffer`; returns the buffers' sizes in
 * elements per input pixel.
 */
function assignBuffers(storages: readonly Storage[], stepCount: number): number[] {
  const bufferSizes: number[] = [];
  const free = new Set<number>();
  const order = storages.map((_, i) => i).filter((i) => storages[i]!.firstDef !== Infinity);
  for (let at = -1; at < stepCount; at++) {
    for (const si of order) {
      const s = storages[si]!;
      if (s.firstDef !== at) continue;
      let best = -1;
      for (const b of free) if (bufferSizes[b]! >= s.elementsPerPixel && (best < 0 || bufferSizes[b]! < bufferSizes[best]!)) best = b;
      if (best < 0 && free.size) {
        best = [...free].reduce((a, b) => (bufferSizes[a]! >= bufferSizes[b]! ? a : b));
        bufferSizes[best] = s.elementsPerPixel;
      }
      if (best < 0) best = bufferSizes.push(s.elementsPerPixel) - 1;
      free.delete(best);
      s.buffer = best;
    }
    for (const si of order) if (storages[si]!.lastUse === at) free.add(storages[si]!.buffer);
  }
  return bufferSizes;
}

/** Elements per input pixel of the storages live at each step (index 0: step −1, the input alone). */
function liveProfile(storages: readonly Storage[], stepCount: number): number[] {
  const live = new Array<number>(stepCount + 1).fill(0);
  for (const s of storages) {
    for (let at = Math.max(s.firstDef, -1); at <= Math.min(s.lastUse, stepCount - 1); at++) live[at + 1]! += s.elementsPerPixel;
  }
  return live;
}

interface Arena {
  readonly index: number;
  extent: number;
  live: number;
  /** Sorted by start, adjacent ranges merged. */
  readonly free: Range[];
  readonly firstDef: number;
  lastUse: number;
}

/**
 * Step 3 of planMemory: packs the `packable` storages into arenas (best fit over the free
 * ranges of every open arena, ggml's dynamic allocator with several arenas). Returns the new
 * storage list (kept storages, then one per arena) and, per old storage, where it went.
 */
function packStorages(storages: readonly Storage[], packable: readonly boolean[], stepCount: number) {
  const capacity = Math.max(...storages.map((s) => s.elementsPerPixel));
  const arenas: Arena[] = [];
  const open: Arena[] = [];
  const slots = new Map<number, { arena: Arena; start: number; size: number }>();
  for (let at = -1; at < stepCount; at++) {
    storages.forEach((s, si) => {
      if (!packable[si] || s.firstDef !== at) return;
      const size = Math.ceil(s.elementsPerPixel);
      // The executor addresses a value by whole channel planes of its own size: a 4× value's
      // plane is 16 elements per input pixel, so its slice must start at a multiple of 16.
      const align = (s.num * s.num) / gcd(s.num * s.num, s.den * s.den);
      let fit = bestFit(open, size, align);
      if (!fit) {
        const arena: Arena = { index: arenas.length, extent: 0, live: 0, free: [{ start: 0, end: Math.max(capacity, size) }], firstDef: at, lastUse: at };
        arenas.push(arena);
        open.push(arena);
        fit = { arena: open.length - 1, range: 0, start: 0 };
      }
      const arena = open[fit.arena]!;
      const { start } = fit;
      takeRange(arena.free, fit.range, start, size);
      arena.extent = Math.max(arena.extent, start + size);
      arena.live++;
      slots.set(si, { arena, start, size });
    });
    // Ranges come back only after the step, so no step writes where it reads.
    for (const [si, slot] of slots) {
      if (storages[si]!.lastUse !== at) continue;
      const { arena } = slot;
      giveBack(arena.free, { start: slot.start, end: slot.start + slot.size });
      arena.lastUse = at;
      if (--arena.live === 0) open.splice(open.indexOf(arena), 1);
    }
  }
  const kept = storages.map((_, i) => i).filter((i) => !slots.has(i));
  const result: Storage[] = kept.map((i) => storages[i]!);
  for (const a of arenas) result.push({ channels: a.extent, num: 1, den: 1, elementsPerPixel: a.extent, firstDef: a.firstDef, lastUse: a.lastUse, buffer: -1 });
  const moved: { storage: number; channelOffset: number }[] = [];
  kept.forEach((i, k) => (moved[i] = { storage: k, channelOffset: 0 }));
  for (const [si, slot] of slots) {
    const s = storages[si]!;
    // An arena is a scale-1 storage of `extent` channels; the slice's offset in this value's own planes.
    moved[si] = { storage: kept.length + slot.arena.index, channelOffset: (slot.start * s.den * s.den) / (s.num * s.num) };
  }
  return { storages: result, moved };
}

/**
 * Bytes the plan allocates for an input of h×w, what one buffer per value would take, and the
 * planner's minimum (see planEfficiency).
 */
export function plannedBytes(
  plan: MemoryPlan,
  height: number,
  width: number,
  bytesPerElement = 4,
): { planned: number; naive: number; largestBuffer: number; minimum: number } {
  const px = height * width * bytesPerElement;
  const { planned, minimum } = planEfficiency(plan);
  const largestBuffer = Math.max(...plan.bufferSizes) * px;
  const naive = plan.graph.values.reduce((s, v) => s + (v.channels * v.num * v.num) / (v.den * v.den), 0) * px;
  return { planned: planned * px, naive, largestBuffer, minimum: minimum * px };
}

/**
 * How close the buffer assignment comes to the best any allocator could do with these
 * lifetimes, in elements per input pixel. `minimum` is the largest, over steps, sum of the
 * sizes of the storages live at that step (all of them must exist at once, so no assignment
 * needs less); `planned` is what the plan's buffers add up to.
 */
export function planEfficiency(plan: MemoryPlan): { minimum: number; planned: number } {
  return { minimum: Math.max(...plan.liveSizes), planned: plan.bufferSizes.reduce((a, w) => a + w, 0) };
}
