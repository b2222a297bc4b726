import { describe, it } from 'vitest';
import { conv2dBackward, conv2dForward } from '../reference/conv2d-grad.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE } from './tolerance.js';

const TOL = OP_TOLERANCE;

const CASES = ['conv2d_3x16_k3', 'conv2d_16x16_k3', 'conv2d_48x8_k3', 'conv2d_16x48_k3', 'conv2d_3x16_k9', 'conv2d_8x8_k1'];

describe('conv2d forward and backward (stride 1, same padding, batch > 1) against PyTorch', () => {
  for (const name of CASES) {
    it(name, () => {
      const f = opFixture(name);
      const x = f.t4('x');
      const weight = f.npy('weight');
      const bias = f.npy('bias').data;
      const gy = f.t4('gy');
      expectMatches(`${name} y`, conv2dForward(x, weight.data, weight.shape, bias).data, f.npy('y').data, TOL);
      const g = conv2dBackward(x, weight.data, weight.shape, gy);
      expectMatches(`${name} gx`, g.gx.data, f.npy('gx').data, TOL);
      expectMatches(`${name} gweight`, g.gweight, f.npy('gweight').data, TOL);
      expectMatches(`${name} gbias`, g.gbias, f.npy('gbias').data, TOL);
    });
  }
});
