import { expect } from 'vitest';
import { isWgsrError } from '../../src/errors.js';
import { rng } from './synthetic.js';

export type Random = () => number;
export const int = (random: Random, n: number) => Math.floor(random() * n);

/** An input to mutate, and how: raw bytes, or the parts behind a container's checksums. */
export interface Seed {
  name: string;
  make(random: Random): Uint8Array;
}

export interface FuzzOptions {
  /** What is fuzzed, for the summary line: "PNG", "weights". */
  what: string;
  seconds: number;
  seed: number;
  seeds: readonly Seed[];
  /** Parses one input; returns how many samples it produced (0 when that is not a measure). */
  attempt(input: Uint8Array): number;
  /** The most one input may take, in ms, given its samples (default: no bound). */
  maxMs?: (samples: number) => number;
  /** The most ArrayBuffer memory one input may leave allocated right after it is handled. */
  maxGrowth: number;
}

/**
 * Mutation fuzzing until the time is up: every input must parse or fail with a WgsrError with
 * a message — never another exception — within the time bound, and no single input may make
 * the parser allocate more than `maxGrowth`. Growth is measured per input, from just before to
 * just after it (refused inputs included: what they allocated is still uncollected then);
 * growth across thousands of inputs would mostly measure garbage. One generator per iteration:
 * (seed, iteration) reproduces any input on its own.
 */
export function runFuzz(o: FuzzOptions): void {
  const failures: { seed: string; iteration: number; error: string }[] = [];
  const deadline = performance.now() + o.seconds * 1000;
  let iterations = 0;
  let parsed = 0;
  let slowest = 0;
  let peakGrowth = 0;
  while (performance.now() < deadline && failures.length < 5) {
    const random = rng(o.seed * 1_000_003 + iterations);
    const seed = o.seeds[iterations % o.seeds.length]!;
    const input = seed.make(random);
    const fail = (error: string) => failures.push({ seed: seed.name, iteration: iterations, error });
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    let samples = 0;
    try {
      samples = o.attempt(input);
      parsed++;
    } catch (e) {
      if (!isWgsrError(e) || e.message.length === 0) fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    peakGrowth = Math.max(peakGrowth, process.memoryUsage().arrayBuffers - before);
    const ms = performance.now() - start;
    slowest = Math.max(slowest, ms);
    if (o.maxMs && ms > o.maxMs(samples)) fail(`took ${ms.toFixed(0)} ms`);
    iterations++;
  }
  console.log(
    `${o.what} fuzz: ${iterations} inputs, ${parsed} parsed, ${iterations - parsed} refused; slowest ${slowest.toFixed(1)} ms; ` +
      `largest ArrayBuffer growth of one input ${(peakGrowth / 1e6).toFixed(1)} MB (FUZZ_SEED=${o.seed})`,
  );
  expect(failures).toEqual([]);
  expect(peakGrowth).toBeLessThan(o.maxGrowth);
  expect(iterations).toBeGreaterThan(0);
}
