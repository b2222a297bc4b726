import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read.js';
import { degradedEvalImage, degradedEvalSet } from '../../src/train/degrade/eval-set.js';

const photo = (name: string) => readImage(resolve(__dirname, '../fixtures/images', name));

describe('fixed-seed degraded evaluation set', () => {
  it('makes each photo the same degraded LR every time, whatever else is in the set', async () => {
    const [a, b] = [await photo('0014.jpg'), await photo('wolf_gray.jpg')];
    const both = await degradedEvalSet(
      [
        { name: '0014', image: a },
        { name: 'wolf', image: b },
      ],
      { scale: 4, seed: 0 },
    );
    const alone = await degradedEvalImage('wolf', b, { scale: 4, seed: 0 });
    expect(alone.lr.data).toEqual(both[1]!.lr.data);
    expect(alone.plan).toEqual(both[1]!.plan);
    // 0014.jpg is 179×179: HR cropped to 176×176, LR 44×44, 8-bit RGB (the gray wolf too).
    expect([both[0]!.hr.width, both[0]!.lr.width, both[0]!.lr.height, both[0]!.lr.channels, both[1]!.lr.channels]).toEqual([176, 44, 44, 3, 3]);
    const other = await degradedEvalImage('wolf', b, { scale: 4, seed: 1 });
    expect(other.lr.data).not.toEqual(alone.lr.data);
  });
});
