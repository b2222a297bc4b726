import { describe, expect, it } from 'vitest';
import { concat } from '../../src/kernels/concat.js';
import { expectClose } from '../helpers/compare.js';
import { concatRef } from '../reference/concat.js';
import { fixtureTensor } from './fixtures.js';
import { download, empty, limits, placeTensors, randomTensor, rng, run, upload } from './harness.js';

// Copies: bit-identical (tolerance 0).
describe('concat', () => {
  it('concat3_channels (PyTorch fixture)', async () => {
    const xs = ['a.npy', 'b.npy', 'c.npy'].map((f) => fixtureTensor('concat3_channels', f));
    const want = fixtureTensor('concat3_channels', 'out.npy');
    expectClose(concatRef(xs).data, want.data, 0, 0, 'reference');
    const output = await empty(16, 5, 7);
    await run(concat({ inputs: await Promise.all(xs.map(upload)), output }, await limits()));
    expectClose((await download(output)).data, want.data, 0, 0);
  });

  it('concatenates 1, 2 and 5 inputs, some slices of one shared buffer', async () => {
    const rand = rng(400);
    const xs = [3, 1, 64, 7, 12].map((c) => randomTensor(rand, c, 3, 11));
    // Inputs 1 and 3 live in one buffer.
    const { refs } = await placeTensors(2000, [
      { t: xs[1]!, offset: 5 },
      { t: xs[3]!, offset: 900 },
    ]);
    const inputs = [await upload(xs[0]!), refs[0]!, await upload(xs[2]!), refs[1]!, await upload(xs[4]!)];
    for (const n of [1, 2, 5]) {
      const output = await empty(xs.slice(0, n).reduce((s, x) => s + x.channels, 0), 3, 11);
      await run(concat({ inputs: inputs.slice(0, n), output }, await limits()));
      expectClose((await download(output)).data, concatRef(xs.slice(0, n)).data, 0, 0, `${n} inputs`);
    }
  });

  it('rejects inputs that do not add up', async () => {
    const a = await upload(randomTensor(rng(401), 2, 3, 4));
    const b = await upload(randomTensor(rng(402), 2, 3, 5));
    const lim = await limits();
    expect(() => concat({ inputs: [a, a], output: { ...a, channels: 3 } }, lim)).toThrow();
    const out4 = await empty(4, 3, 4);
    const out3 = await empty(3, 3, 4);
    expect(() => concat({ inputs: [a, b], output: out4 }, lim)).toThrow(/input 1 \(spatially\)/);
    expect(() => concat({ inputs: [a], output: out3 }, lim)).toThrow(/2 channels in all, the output 3/);
  });
});
