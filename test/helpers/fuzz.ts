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
  /** Stop after this many inputs even if time is left (default: FUZZ_INPUTS, else no count bound). */
  inputs?: number;
  seed: number;
  seeds: readonly Seed[];
  /** Parses one input; returns how many samples it produced (0 when that is not a measure). */
  attempt(input: Uint8Array): number | Promise<number>;
  /** The most one input may take, in ms, given its samples (default: no bound). */
  maxMs?: (samples: number) => number;
  /** The most ArrayBuffer memory one input may leave allocated right after it is handled. */
  maxGrowth: number;
}

/** FUZZ_INPUTS: a benchmark run's input count per parser (`FUZZ_INPUTS=1000000 FUZZ_SECONDS=86400 npm run fuzz`). */
export const FUZZ_INPUTS = process.env.FUZZ_INPUTS === undefined ? Infinity : Number(process.env.FUZZ_INPUTS);
/** FUZZ_FROM: the first iteration, to replay a reported one (`FUZZ_SEED=3 FUZZ_FROM=60821 FUZZ_INPUTS=1`). */
const FUZZ_FROM = Number(process.env.FUZZ_FROM ?? 0);

/**
 * Mutation fuzzing until the time (or the input count) is up: every input must parse or fail with a WgsrError with
 * a message — never another exception — within the time bound, and no single input may make
 * the parser allocate more than `maxGrowth`. Growth is measured per input, from just before to
 * just after it (refused inputs included: what they allocated is still uncollected then);
 * growth across thousands of inputs would mostly measure garbage. One generator per iteration:
 * (seed, iteration) reproduces any input on its own.
 */
export async function runFuzz(o: FuzzOptions): Promise<void> {
  const failures: { seed: string; iteration: number; error: string }[] = [];
  const deadline = performance.now() + o.seconds * 1000;
  let iterations = FUZZ_FROM;
  let parsed = 0;
  let slowest = 0;
  let slowestAt = '';
  let peakGrowth = 0;
  const maxInputs = o.inputs ?? FUZZ_INPUTS;
  const began = performance.now();
  while (performance.now() < deadline && iterations - FUZZ_FROM < maxInputs && failures.length < 5) {
    const random = rng(o.seed * 1_000_003 + iterations);
    const seed = o.seeds[iterations % o.seeds.length]!;
    const input = seed.make(random);
    const fail = (error: string) => failures.push({ seed: seed.name, iteration: iterations, error });
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    let samples = 0;
    try {
      const result = o.attempt(input);
      // Only asynchronous parsers (WebP) pay for an await: a microtask per input is measurable.
      samples = typeof result === 'number' ? result : await result;
      parsed++;
    } catch (e) {
      if (!isWgsrError(e) || e.message.length === 0) fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    peakGrowth = Math.max(peakGrowth, process.memoryUsage().arrayBuffers - before);
    const ms = performance.now() - start;
    if (ms > slowest) {
      slowest = ms;
      slowestAt = `${seed.name}, iteration ${iterations}`;
    }
    if (o.maxMs && ms > o.maxMs(samples)) fail(`took ${ms.toFixed(0)} ms`);
    iterations++;
  }
  const count = iterations - FUZZ_FROM;
  const rate = count / ((performance.now() - began) / 1000);
  console.log(
    `${o.what} fuzz: ${count} inputs (${rate.toFixed(0)} inputs/s, making them included), ${parsed} parsed, ${count - parsed} refused; ` +
      `slowest input ${slowest.toFixed(1)} ms (${slowestAt}); ` +
      `largest ArrayBuffer growth of one input ${(peakGrowth / 1e6).toFixed(1)} MB (FUZZ_SEED=${o.seed})`,
  );
  expect(failures).toEqual([]);
  expect(peakGrowth).toBeLessThan(o.maxGrowth);
  expect(count).toBeGreaterThan(0);
}
