import { WgsrError } from '../errors.js';
import { bestFit, giveBack, takeRange, type Range } from '../graph/free-ranges.js';
import { opAccess, type StorageSpec } from './ops.js';
import type { TrainProgram } from './reverse.js';

/**
 * The activation memory of a training step: every logical storage of the program (forward
 * values, their gradients, temporaries) gets an element offset in an *arena* (one GPU buffer).
 *
 * Lifetimes come from the ops: a storage lives from the op that first writes it to the last op
 * that reads it, so a forward value the backward needs (a conv's input, an activation's output,
 * a batch norm's input) stays until that backward op, and everything else is given back as soon
 * as its last reader is done (ggml's allocator, as graph/plan.ts does for inference). A range
 * comes back only after the op that last reads it, so no op writes where it reads. Walking the
 * ops in order, each new storage takes the best-fitting free range of an arena; an arena never
 * grows past what one binding may address (the adapter's maxStorageBufferBindingSize), so a step
 * too large for one buffer spreads over several, each storage within one.
 */
export interface StorageAddress {
  readonly arena: number;
  /** Element offset in the arena (a multiple of 4: vec4 loads stay aligned). */
  readonly offset: number;
  readonly elements: number;
}

export interface TrainingMemoryPlan {
  /** By storage index; undefined for a storage no op touches. */
  readonly addresses: readonly (StorageAddress | undefined)[];
  /** Elements of each arena. */
  readonly arenas: readonly number[];
  /** The most elements ever live at once: no assignment can use less. */
  readonly minimum: number;
}

export function storageShape(s: Pick<StorageSpec, 'num' | 'den'>, height: number, width: number): { height: number; width: number } {
  const scale = (n: number) => (n * s.num) / s.den;
  const h = scale(height);
  const w = scale(width);
  if (!Number.isInteger(h) || !Number.isInteger(w)) throw new WgsrError('BAD_ARGUMENT', `a ${width}×${height} input is not a multiple of ${s.den}, which this network needs`);
  return { height: h, width: w };
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Each storage's first write and last access, by op index (the input is written at −1). */
function lifetimes(program: TrainProgram): { first: number[]; last: number[] } {
  const n = program.storages.length;
  const first = new Array<number>(n).fill(Infinity);
  const last = new Array<number>(n).fill(-Infinity);
  first[program.input.storage] = -1;
  last[program.input.storage] = -1;
  program.ops.forEach((op, i) => {
    const { reads, writes } = opAccess(op);
    for (const p of writes) first[p.storage] = Math.min(first[p.storage]!, i);
    for (const p of [...reads, ...writes]) last[p.storage] = Math.max(last[p.storage]!, i);
  });
  for (let s = 0; s < n; s++) if (last[s]! > -Infinity && first[s] === Infinity) throw new Error(`storage ${program.storages[s]!.label} is read before anything writes it`);
  return { first, last };
}

export function planTrainingMemory(program: TrainProgram, batch: number, height: number, width: number, maxBindingBytes: number): TrainingMemoryPlan {
  const { first, last } = lifetimes(program);
  const capacity = Math.floor(maxBindingBytes / 4 / 4) * 4;
  const sizes = program.storages.map((s) => {
    const { height: h, width: w } = storageShape(s, height, width);
    return align4(batch * s.channels * h * w);
  });
  const arenas: { extent: number; free: Range[] }[] = [];
  const addresses: (StorageAddress | undefined)[] = new Array(program.storages.length).fill(undefined);
  let live = 0;
  let minimum = 0;
  for (let at = -1; at < program.ops.length; at++) {
    sizes.forEach((size, s) => {
      if (first[s] !== at) return;
      if (size > capacity) {
        throw new WgsrError(
          'GPU_OUT_OF_MEMORY',
          `${program.storages[s]!.label} of a batch of ${batch} at ${width}×${height} needs ${size * 4} bytes in one buffer, but this adapter binds at most ${maxBindingBytes}; use a smaller batch or patch`,
        );
      }
      addresses[s] = allocate(arenas, size, capacity);
      live += size;
    });
    minimum = Math.max(minimum, live);
    sizes.forEach((size, s) => {
      if (last[s] !== at || !addresses[s]) return;
      const a = addresses[s]!;
      giveBack(arenas[a.arena]!.free, { start: a.offset, end: a.offset + size });
      live -= size;
    });
  }
  return { addresses, arenas: arenas.map((a) => a.extent), minimum };
}

/** Best fit over every arena's free ranges; a new arena when none fits. */
function allocate(arenas: { extent: number; free: Range[] }[], size: number, capacity: number): StorageAddress {
  let fit = bestFit(arenas, size);
  if (!fit) {
    arenas.push({ extent: 0, free: [{ start: 0, end: capacity }] });
    fit = { arena: arenas.length - 1, range: 0, start: 0 };
  }
  const a = arenas[fit.arena]!;
  takeRange(a.free, fit.range, fit.start, size);
  a.extent = Math.max(a.extent, fit.start + size);
  return { arena: fit.arena, offset: fit.start, elements: size };
}
