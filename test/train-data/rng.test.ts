import { describe, expect, it } from 'vitest';
import { hashString, Rng } from '../../src/rng.js';
import { error } from '../helpers/errors.js';

describe('Rng (xoshiro128**)', () => {
  it('gives the reference sequence of xoshiro128** from the state [1, 2, 3, 4]', () => {
    // The first outputs of the C reference (xoshiro128starstar.c) from s = {1, 2, 3, 4}.
    const rng = Rng.fromState({ s: [1, 2, 3, 4] });
    expect(Array.from({ length: 10 }, () => rng.uint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('continues exactly from a saved state, which survives JSON', () => {
    const a = Rng.derive(7, 3);
    for (let i = 0; i < 13; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = Rng.fromState(saved);
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(Array.from({ length: 50 }, () => a.next()));
  });

  it('derives the same stream from the same path and different streams from different paths', () => {
    const first = (r: Rng) => Array.from({ length: 4 }, () => r.uint32());
    expect(first(Rng.derive(0, 1, 2))).toEqual(first(Rng.derive(0, 1, 2)));
    const seen = new Set([[0], [1], [0, 0], [0, 1], [1, 0], [0, 0, 0], [2 ** 32], [2 ** 32 + 1]].map((p) => first(Rng.derive(p[0]!, ...p.slice(1))).join()));
    expect(seen.size).toBe(8);
  });

  it('draws uniform and normal numbers with the right moments', () => {
    // n = 200 000: the standard error of a mean of U(0, 1) is 0.29/√n ≈ 6.5e−4; tolerance 4e−3.
    const rng = Rng.derive(11);
    const n = 200_000;
    let sum = 0;
    let sum2 = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sum2 += u * u;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sum2 / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    const z = new Float64Array(n + 1); // odd length: the last pair is half used
    rng.fillNormal(z);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.015);
  });

  it('chooses by weight, draws whole numbers inclusively, and permutes', () => {
    const rng = Rng.derive(5);
    const counts = [0, 0, 0];
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.choose([0, 1, 2], [0.2, 0.7, 0.1])]!++;
    // Binomial standard errors are at most 0.002; tolerance 0.01.
    expect(counts.map((c) => c / n)).toEqual([expect.closeTo(0.2, 2), expect.closeTo(0.7, 2), expect.closeTo(0.1, 2)]);
    const ints = new Set(Array.from({ length: 2000 }, () => rng.int(3, 6)));
    expect([...ints].sort()).toEqual([3, 4, 5, 6]);
    expect([...rng.permutation(9)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('refuses bad seeds and damaged states', () => {
    expect(error(() => Rng.derive(-1)).message).toMatch(/seed must be a whole number/);
    expect(error(() => Rng.derive(1.5)).message).toMatch(/seed/);
    expect(error(() => Rng.fromState({ s: [1, 2, 3] } as never)).message).toMatch(/four whole numbers/);
    expect(error(() => Rng.fromState({ s: [0, 0, 0, 0] })).message).toMatch(/all zeros/);
  });

  it('hashes names to stable 32-bit indices (FNV-1a)', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c); // FNV-1a's published value for "a"
    expect(hashString('coffee')).not.toBe(hashString('chelsea'));
  });
});
