import { describe, it } from 'vitest';
import { adamState, adamStep } from '../reference/adam.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE as TOL } from './tolerance.js';

describe('torch.optim.Adam against PyTorch', () => {
  for (const name of ['adam_t1', 'adam_t10']) {
    it(`${name}: parameter and both moments after every step`, () => {
      const f = opFixture(name);
      const meta = f.meta as { t: number; lr: number; betas: [number, number]; eps: number; semantics: string };
      // The fixtures use no weight decay (meta.json's semantics says so; there is no field for it).
      if (!meta.semantics.includes('weight_decay 0.0')) throw new Error(`${name}: expected weight_decay 0.0, semantics: ${meta.semantics}`);
      const grads = f.npy('grads');
      const size = grads.data.length / meta.t;
      let param: Float64Array = Float64Array.from(f.npy('param').data);
      let state = adamState(size);
      for (let t = 0; t < meta.t; t++) {
        ({ param, state } = adamStep(param, grads.data.subarray(t * size, (t + 1) * size), state, { lr: meta.lr, betas: meta.betas, eps: meta.eps }));
      }
      expectMatches(`${name} param`, param, f.npy('param_after').data, TOL);
      expectMatches(`${name} exp_avg`, state.expAvg, f.npy('exp_avg').data, TOL);
      expectMatches(`${name} exp_avg_sq`, state.expAvgSq, f.npy('exp_avg_sq').data, TOL);
    });
  }
});
