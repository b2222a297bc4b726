import { describe, expect, it } from 'vitest';
import { pixelShuffle, pixelUnshuffle, upsampleNearest } from '../../src/kernels/rearrange.js';
import { expectClose } from '../helpers/compare.js';
import { pixelShuffleRef } from '../reference/pixel-shuffle.js';
import { pixelUnshuffleRef } from '../reference/pixel-unshuffle.js';
import { upsampleNearestRef } from '../reference/upsample-nearest.js';
import type { Tensor3 } from '../reference/tensor.js';
import { fixtureTensor } from './fixtures.js';
import { download, downloadAll, empty, limits, placeTensors, randomTensor, rng, run, SENTINEL, upload } from './harness.js';

// Pure data movement: every output must be bit-identical to its source (tolerance 0).

type Kernel = 'pixel_shuffle' | 'pixel_unshuffle' | 'upsample_nearest';
const SHAPE: Record<Kernel, (t: Tensor3, r: number) => [number, number, number]> = {
  pixel_shuffle: (t, r) => [t.channels / (r * r), t.height * r, t.width * r],
  pixel_unshuffle: (t, r) => [t.channels * r * r, t.height / r, t.width / r],
  upsample_nearest: (t, r) => [t.channels, t.height * r, t.width * r],
};
const REF = { pixel_shuffle: pixelShuffleRef, pixel_unshuffle: pixelUnshuffleRef, upsample_nearest: upsampleNearestRef };
const CALL = { pixel_shuffle: pixelShuffle, pixel_unshuffle: pixelUnshuffle, upsample_nearest: upsampleNearest };

async function gpu(kernel: Kernel, x: Tensor3, r: number): Promise<Tensor3> {
  const input = await upload(x);
  const output = await empty(...SHAPE[kernel](x, r));
  await run(CALL[kernel]({ input, output, factor: r }, await limits()));
  return download(output);
}

describe('rearranging kernels against PyTorch fixtures', () => {
  const cases: [string, Kernel, number][] = [
    ['pixel_shuffle_r2', 'pixel_shuffle', 2],
    ['pixel_shuffle_r3', 'pixel_shuffle', 3],
    ['pixel_unshuffle_r2', 'pixel_unshuffle', 2],
    ['pixel_unshuffle_r4', 'pixel_unshuffle', 4],
    ['upsample_nearest_x2', 'upsample_nearest', 2],
    ['upsample_nearest_x4', 'upsample_nearest', 4],
  ];
  for (const [name, kernel, r] of cases) {
    it(name, async () => {
      const x = fixtureTensor(name, 'a.npy');
      const want = fixtureTensor(name, 'out.npy');
      expectClose(REF[kernel](x, r).data, want.data, 0, 0, `${name} reference`);
      expectClose((await gpu(kernel, x, r)).data, want.data, 0, 0, name);
    });
  }
});

describe('rearranging kernels against the reference on odd shapes', () => {
  const cases: [Kernel, number, number, number, number][] = [
    // kernel, r, C, H, W (of the input)
    ['pixel_shuffle', 2, 12, 7, 3],
    ['pixel_shuffle', 3, 27, 5, 2],
    ['pixel_shuffle', 4, 48, 3, 5],
    ['pixel_shuffle', 2, 256, 5, 9],
    ['pixel_unshuffle', 2, 3, 14, 6],
    ['pixel_unshuffle', 4, 3, 8, 20],
    ['pixel_unshuffle', 2, 64, 2, 34],
    ['upsample_nearest', 2, 64, 7, 5],
    ['upsample_nearest', 3, 3, 1, 7],
    ['upsample_nearest', 4, 5, 6, 1],
  ];
  cases.forEach(([kernel, r, c, h, w], i) => {
    it(`${kernel} r=${r} [${c}, ${h}, ${w}]`, async () => {
      const x = randomTensor(rng(200 + i), c, h, w);
      expectClose((await gpu(kernel, x, r)).data, REF[kernel](x, r).data, 0, 0);
    });
  });

  it('reads and writes at element offsets inside larger buffers, touching nothing else', async () => {
    const x = randomTensor(rng(220), 8, 3, 5);
    const total = 3 + 120 + 9 + 120 + 4;
    const { buffer, refs } = await placeTensors(total, [
      { t: x, offset: 3 },
      { t: { channels: 2, height: 6, width: 10 }, offset: 3 + 120 + 9 },
    ]);
    await run(pixelShuffle({ input: refs[0]!, output: refs[1]!, factor: 2 }, await limits()));
    const all = await downloadAll(buffer, total);
    expectClose(all.subarray(132, 252), pixelShuffleRef(x, 2).data, 0, 0);
    expect([...all.subarray(0, 3), ...all.subarray(123, 132), ...all.subarray(252)].every((v) => v === SENTINEL)).toBe(true);
  });
});

describe('rearranging kernels validation', () => {
  it('rejects mismatched shapes and factors', async () => {
    const lim = await limits();
    const input = await upload(randomTensor(rng(230), 12, 4, 6));
    const out = await empty(3, 8, 12);
    expect(() => pixelShuffle({ input, output: out, factor: 2 }, lim)).not.toThrow();
    expect(() => pixelShuffle({ input, output: out, factor: 3 }, lim)).toThrow(/not a multiple of 3²/);
    expect(() => pixelUnshuffle({ input, output: out, factor: 4 }, lim)).toThrow(/not divisible by 4/);
    expect(() => upsampleNearest({ input, output: out, factor: 2 }, lim)).toThrow(/output is \[3, 8, 12\] but input × 2 is \[12, 8, 12\]/);
    expect(() => upsampleNearest({ input, output: out, factor: 0 }, lim)).toThrow(/positive integer/);
  });
});
