/**
 * Submitted GPU work that is not known to be finished, and GPU objects whose freeing waits for
 * it. WebGPU lets a destroyed buffer's memory live until submitted work that uses it is done,
 * but destroying a buffer that a later encode would still bind is an error; so frees that work
 * in flight may depend on run once none is left.
 */
export class InFlight {
  /** Settle markers of submitted work whose end has not been seen. */
  private readonly working = new Set<Promise<void>>();
  private readonly retired: (() => void)[] = [];

  /** Tracks work that ends (or fails) when `done` settles. */
  add(done: Promise<unknown>): void {
    const settled: Promise<void> = done.then(
      () => this.settle(settled),
      () => this.settle(settled),
    );
    this.working.add(settled);
  }

  /** Frees now if no tracked work is in flight, else once none is. */
  retire(free: () => void): void {
    this.retired.push(free);
    if (this.working.size === 0) this.freeRetired();
  }

  /** Runs every pending free now (tearing down: nothing will be encoded again). */
  freeRetired(): void {
    for (const free of this.retired.splice(0)) free();
  }

  /** Resolves when every tracked piece of work has ended. */
  async idle(): Promise<void> {
    while (this.working.size > 0) await Promise.all(this.working);
  }

  private settle(marker: Promise<void>): void {
    this.working.delete(marker);
    if (this.working.size === 0) this.freeRetired();
  }
}
