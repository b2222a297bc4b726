import { describe, expect, it } from 'vitest';
import { lossRef, type LossKind } from '../reference/loss.js';
import { expectMatches, opFixture } from './fixtures.js';
import { OP_TOLERANCE as TOL } from './tolerance.js';

describe('L1 and MSE losses (mean) against PyTorch', () => {
  for (const kind of ['l1', 'mse'] as LossKind[]) {
    it(`${kind}_loss: value and gradient`, () => {
      const f = opFixture(`${kind}_loss`);
      const got = lossRef(kind, f.npy('pred').data, f.npy('target').data);
      expectMatches(`${kind} loss`, [got.value], f.npy('loss').data, TOL);
      expectMatches(`${kind} gpred`, got.grad, f.npy('gpred').data, TOL);
    });
  }

  it('L1 at pred == target has gradient 0 (torch.sign(0) = 0); the fixture has no such tie', () => {
    const l = lossRef('l1', new Float64Array([1, 2, 3, 4]), new Float64Array([1, 0, 5, 4]));
    expect(l.value).toBe((0 + 2 + 2 + 0) / 4);
    expect([...l.grad].map((g) => g + 0)).toEqual([0, 0.25, -0.25, 0]); // + 0 folds −0 into 0
    const m = lossRef('mse', new Float64Array([1, 2]), new Float64Array([1, 0]));
    expect([m.value, ...m.grad]).toEqual([2, 0, 2]);
  });

  it('a prediction and target of different sizes are refused', () => {
    expect(() => lossRef('l1', new Float64Array(3), new Float64Array(4))).toThrow(/3 predictions for 4 targets/);
  });
});
