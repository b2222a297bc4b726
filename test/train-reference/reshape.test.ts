import { describe, it } from 'vitest';
import { pixelShuffleBackward, pixelShuffleForward, pixelUnshuffleBackward, pixelUnshuffleForward } from '../reference/pixel-shuffle-grad.js';
import { upsampleNearestBackward, upsampleNearestForward } from '../reference/upsample-nearest-grad.js';
import type { Tensor4 } from '../reference/tensor4.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE as TOL } from './tolerance.js';

/** Ops that move (and, for the upsampling's backward, sum) values: forward y and backward gx. */
const CASES: { name: string; forward: (x: Tensor4, r: number) => Tensor4; backward: (gy: Tensor4, r: number) => Tensor4 }[] = [
  { name: 'pixel_shuffle_r2', forward: pixelShuffleForward, backward: pixelShuffleBackward },
  { name: 'pixel_shuffle_r3', forward: pixelShuffleForward, backward: pixelShuffleBackward },
  { name: 'pixel_unshuffle_r2', forward: pixelUnshuffleForward, backward: pixelUnshuffleBackward },
  { name: 'upsample_nearest_x2', forward: upsampleNearestForward, backward: upsampleNearestBackward },
];

describe('pixel shuffle, unshuffle and nearest upsampling against PyTorch', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const f = opFixture(c.name);
      const r = f.meta.r as number;
      expectMatches(`${c.name} y`, c.forward(f.t4('x'), r).data, f.npy('y').data, TOL);
      expectMatches(`${c.name} gx`, c.backward(f.t4('gy'), r).data, f.npy('gx').data, TOL);
    });
  }
});
