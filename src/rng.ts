import { WgsrError } from './errors.js';

/**
 * The one random number generator of wgsr (training data and degradations, initial weights, the
 * tuner's inputs): xoshiro128** (Blackman & Vigna), 32-bit integer arithmetic only, so it gives
 * the same sequence in every JavaScript engine. Its whole
 * state is four 32-bit words: `state()` returns them as plain numbers (JSON-serialisable, what a
 * trainer writes into its state file) and `Rng.fromState` goes on from exactly there.
 *
 * Streams are derived, never shared: `Rng.derive(seed, a, b, …)` hashes a seed and a path of
 * integers (batch index, sample index, …) into a fresh state. The batch sampler gives every
 * batch its own stream, so batch k is the same whether it is made first, after a resume, or
 * ahead of time in another thread.
 */
export interface RngState {
  readonly s: readonly [number, number, number, number];
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** MurmurHash3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 32-bit words of a non-negative safe integer (low word first). */
function words(n: number, what: string): [number, number] {
  if (!Number.isSafeInteger(n) || n < 0) throw new WgsrError('BAD_ARGUMENT', `${what} must be a whole number ≥ 0 (at most 2^53 − 1), got ${n}`);
  return [n >>> 0, Math.floor(n / TWO_POW_32) >>> 0];
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s: readonly number[]) {
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v >>> 0) as [number, number, number, number];
    // The all-zero state is xoshiro's one fixed point; the hash below never yields it, a saved state might if edited.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) throw new WgsrError('BAD_ARGUMENT', 'a random generator state cannot be all zeros');
  }

  /** A stream for `seed` and the path of integers after it (each a whole number ≥ 0). */
  static derive(seed: number, ...path: number[]): Rng {
    let h = 0x9e3779b9;
    for (const [i, n] of [seed, ...path].entries()) {
      for (const w of words(n, i === 0 ? 'the seed' : 'a stream index')) h = fmix32((h ^ w) + 0x7f4a7c15 + i);
      h = fmix32(h + 0x632be5ab);
    }
    // Four words by splitmix32 from the hash: distinct, well mixed, never all zero in practice.
    const s: number[] = [];
    for (let k = 0; k < 4; k++) {
      h = (h + 0x9e3779b9) >>> 0;
      s.push(fmix32(h) || 1);
    }
    return new Rng(s);
  }

  static fromState(state: RngState): Rng {
    const s = state?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((v) => Number.isInteger(v) && v >= 0 && v < TWO_POW_32)) {
      throw new WgsrError('BAD_ARGUMENT', 'a random generator state is four whole numbers in [0, 2^32); this one is not (a damaged state file?)');
    }
    return new Rng(s);
  }

  state(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform in [lo, hi) (numpy.random.uniform's convention). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A whole number in [lo, hi], both included (Python's random.randint). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items`, each with its weight (need not sum to 1), or uniformly without weights. */
  choose<T>(items: readonly T[], weights?: readonly number[]): T {
    if (items.length === 0) throw new WgsrError('BAD_ARGUMENT', 'cannot choose from an empty list');
    if (!weights) return items[Math.floor(this.next() * items.length)]!;
    const total = weights.reduce((a, b) => a + b, 0);
    let u = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      u -= weights[i]!;
      if (u < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  /**
   * Fills `out` with independent standard normal samples: Marsaglia's polar method (no
   * trigonometry; a pair of 32-bit uniforms in the unit disc, 79 % accepted, gives two values).
   */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i += 2) {
      let u: number;
      let v: number;
      let s: number;
      do {
        u = this.uint32() / 2147483648 - 1;
        v = this.uint32() / 2147483648 - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i] = u * f;
      if (i + 1 < out.length) out[i + 1] = v * f;
    }
  }

  /** A random permutation of 0 … n−1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** FNV-1a over a string's UTF-16 code units: a stream index from a name (an image's, say). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
