import { describe, expect, it } from 'vitest';
import { DIHEDRAL_GROUP, dihedralAccumulate, dihedralGather, transformedSize } from '../../src/kernels/dihedral.js';
import { expectClose } from '../helpers/compare.js';
import { error } from '../helpers/errors.js';
import { dihedralInverseRef, dihedralRef } from '../reference/dihedral.js';
import { tensor3 } from '../reference/tensor.js';
import { upsampleNearestRef } from '../reference/upsample-nearest.js';
import { download, downloadAll, empty, limits, placeTensors, randomTensor, rng, run, SENTINEL, upload } from './harness.js';

const name = (t: (typeof DIHEDRAL_GROUP)[number]) => `${t.transpose ? 'T' : ''}${t.flipY ? 'Y' : ''}${t.flipX ? 'X' : ''}` || 'identity';

describe('dihedral transforms', () => {
  it('the reference: the eight transforms are distinct and each inverse undoes its transform', () => {
    const x = randomTensor(rng(1), 2, 3, 5);
    const seen = new Set<string>();
    for (const t of DIHEDRAL_GROUP) {
      const y = dihedralRef(x, t);
      seen.add(Array.from(y.data).join(',') + `|${y.height}`);
      expect(dihedralInverseRef(y, t)).toEqual(x);
    }
    expect(seen.size).toBe(8);
  });

  for (const t of DIHEDRAL_GROUP) {
    it(`gather ${name(t)} on odd, non-square shapes equals the reference exactly, nothing written outside`, async () => {
      for (const [c, h, w] of [[3, 5, 7], [1, 1, 9], [4, 17, 3]] as const) {
        const x = randomTensor(rng(c * 100 + h + w), c, h, w);
        const size = transformedSize(t, h, w);
        const input = await upload(x);
        // The output sits 5 elements into a sentinel-filled buffer, so a stray write shows.
        const n = c * h * w;
        const { buffer, refs } = await placeTensors(n + 10, [{ t: { channels: c, ...size }, offset: 5 }]);
        await run(dihedralGather({ input, output: refs[0]!, transform: t }, await limits()));
        const all = await downloadAll(buffer, n + 10);
        expectClose(all.subarray(5, 5 + n), dihedralRef(x, t).data, 0, 0, name(t));
        expect([...all.subarray(0, 5), ...all.subarray(5 + n)]).toEqual(new Array(10).fill(SENTINEL));
      }
    });
  }

  it('accumulate brings an ×s output on T(I) back to I\'s frame: the average of the 8 is the ×s of I', async () => {
    const s = 3;
    const x = randomTensor(rng(7), 3, 4, 6);
    const want = upsampleNearestRef(x, s);
    const acc = await empty(3, 4 * s, 6 * s);
    for (const [k, t] of DIHEDRAL_GROUP.entries()) {
      // What an exactly equivariant ×s network would output on T(I).
      const out = await upload(upsampleNearestRef(dihedralRef(x, t), s));
      await run(dihedralAccumulate({ input: out, output: acc, transform: t, weight: 1 / 8, accumulate: k > 0 }, await limits()));
      if (k === 0) expectClose((await download(acc)).data, want.data.map((v) => v / 8), 0, 0, 'the first transform stores');
    }
    // Eight f32 additions of v/8: within 2^-21 of v.
    expectClose((await download(acc)).data, want.data, 1e-7, 2 ** -21, 'mean of the 8');
  });

  it('accumulate of each transform alone, weight 1, is its inverse (exact)', async () => {
    const x = randomTensor(rng(9), 2, 5, 3);
    for (const t of DIHEDRAL_GROUP) {
      const y = dihedralRef(x, t);
      const acc = await empty(2, 5, 3);
      await run(dihedralAccumulate({ input: await upload(y), output: acc, transform: t, weight: 1, accumulate: false }, await limits()));
      expectClose((await download(acc)).data, x.data, 0, 0, name(t));
    }
  });

  it('refuses shapes that do not match the transform', async () => {
    const input = await upload(tensor3(1, 2, 3));
    const wrong = await empty(1, 2, 3);
    const t = DIHEDRAL_GROUP[4]!; // transpose: the output must be 3×2
    expect(error(() => dihedralGather({ input, output: wrong, transform: t })).message).toMatch(/transformed input/);
    expect(error(() => dihedralAccumulate({ input, output: wrong, transform: t, weight: 1, accumulate: false })).message).toMatch(/brought back/);
  });
});
