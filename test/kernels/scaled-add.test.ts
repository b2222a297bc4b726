import { describe, expect, it } from 'vitest';
import { scaledAdd } from '../../src/kernels/scaled-add.js';
import { expectClose } from '../helpers/compare.js';
import { scaledAddRef } from '../reference/scaled-add.js';
import { download, empty, limits, randomTensor, rng, run, upload } from './harness.js';

// a·x + b·y in f32 (perhaps as one fma) vs the float64 reference: |Δ| ≤ 1e-7 + 1e-6·|ref|.
const ATOL = 1e-7;
const RTOL = 1e-6;

describe('scaled_add', () => {
  it('0.2·x + y', async () => {
    const x = randomTensor(rng(500), 64, 5, 9);
    const y = randomTensor(rng(501), 64, 5, 9);
    const output = await empty(64, 5, 9);
    await run(scaledAdd({ x: await upload(x), y: await upload(y), a: 0.2, b: 1, output }, await limits()));
    expectClose((await download(output)).data, scaledAddRef(0.2, x, 1, y).data, ATOL, RTOL);
  });

  for (const f of [2, 3, 4]) {
    it(`x + nearest-upsampled y (×${f}), as SRVGGNetCompact adds its input`, async () => {
      const y = randomTensor(rng(510 + f), 3, 5, 7);
      const x = randomTensor(rng(520 + f), 3, 5 * f, 7 * f);
      const output = await empty(3, 5 * f, 7 * f);
      await run(scaledAdd({ x: await upload(x), y: await upload(y), a: 1, b: 1, yUpsample: f, output }, await limits()));
      expectClose((await download(output)).data, scaledAddRef(1, x, 1, y, f).data, ATOL, RTOL);
    });
  }

  it('runs in place on x', async () => {
    const x = randomTensor(rng(530), 16, 3, 3);
    const y = randomTensor(rng(531), 16, 3, 3);
    const xs = await upload(x);
    await run(scaledAdd({ x: xs, y: await upload(y), a: -0.5, b: 2, output: xs }, await limits()));
    expectClose((await download(xs)).data, scaledAddRef(-0.5, x, 2, y).data, ATOL, RTOL);
  });

  it('rejects mismatched shapes', async () => {
    const x = await upload(randomTensor(rng(540), 3, 4, 6));
    const y = await upload(randomTensor(rng(541), 3, 2, 3));
    const lim = await limits();
    expect(() => scaledAdd({ x, y, a: 1, b: 1, output: x, yUpsample: 2 }, lim)).not.toThrow();
    expect(() => scaledAdd({ x, y, a: 1, b: 1, output: x }, lim)).toThrow(/y upsampled ×1 is \[3, 2, 3\] but x is \[3, 4, 6\]/);
    expect(() => scaledAdd({ x: y, y: x, a: 1, b: 1, output: y }, lim)).toThrow();
  });
});
