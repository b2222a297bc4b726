/**
 * The free lists of arena allocators: the inference planner (plan.ts) and the training planner
 * (train/memory.ts) both pack buffers into arenas by best fit over sorted free ranges.
 */

/** A run of free elements in an arena, [start, end). */
export interface Range {
  start: number;
  end: number;
}

/** Where a best fit puts a block: the candidate arena, its free range, the aligned start. */
export interface Fit {
  arena: number;
  range: number;
  start: number;
}

/**
 * Best fit of `size` elements starting at a multiple of `align`, over the free lists of
 * `arenas` in order: the range that leaves the least over; the first such range on a tie.
 */
export function bestFit(arenas: readonly { readonly free: readonly Range[] }[], size: number, align = 1): Fit | undefined {
  let best: (Fit & { waste: number }) | undefined;
  arenas.forEach((a, arena) =>
    a.free.forEach((r, range) => {
      const start = Math.ceil(r.start / align) * align;
      const waste = r.end - r.start - size;
      if (start + size <= r.end && (!best || waste < best.waste)) best = { arena, range, start, waste };
    }),
  );
  return best && { arena: best.arena, range: best.range, start: best.start };
}

/** Takes [start, start + size) out of free range `range`, keeping what is left on either side. */
export function takeRange(free: Range[], range: number, start: number, size: number): void {
  const r = free[range]!;
  const rest = [{ start: r.start, end: start }, { start: start + size, end: r.end }].filter((p) => p.end > p.start);
  free.splice(range, 1, ...rest);
}

/** Returns a range to a sorted free list, merging it with its neighbours. */
export function giveBack(free: Range[], range: Range): void {
  let i = free.findIndex((r) => r.start > range.start);
  if (i < 0) i = free.length;
  free.splice(i, 0, range);
  if (i + 1 < free.length && free[i]!.end === free[i + 1]!.start) free.splice(i, 2, { start: free[i]!.start, end: free[i + 1]!.end });
  if (i > 0 && free[i - 1]!.end === free[i]!.start) free.splice(i - 1, 2, { start: free[i - 1]!.start, end: free[i]!.end });
}
