import { describe, expect, it } from 'vitest';
import { learningRate, parseSchedule } from '../../src/train/schedule.js';

// Values printed by torch 2.x (Debian python3-torch): the lr of param_groups[0] before each
// optimizer.step() of a loop `optimizer.step(); scheduler.step()`, base lr 2e-4.
const MULTISTEP_3_5_HALF = [0.0002, 0.0002, 0.0002, 0.0001, 0.0001, 5e-5, 5e-5];
const COSINE_T10_MIN_1E7 = [
  0.0002, 0.00019510809880370062, 0.000180911248587776, 0.0001587991359666327, 0.000130936248587776, 0.00010005, 6.916375141222402e-5, 4.130086403336732e-5,
  1.9188751412224014e-5, 4.991901196299405e-6, 1e-7, 4.991901196299404e-6,
];

describe('learning-rate schedules', () => {
  it("multistep equals torch's MultiStepLR exactly", () => {
    const s = parseSchedule('multistep:3,5:0.5');
    expect(MULTISTEP_3_5_HALF.map((_, t) => learningRate(s, 2e-4, t, 7))).toEqual(MULTISTEP_3_5_HALF);
  });

  it("cosine equals torch's CosineAnnealingLR (T_max = iterations) within 1e-12 relative: torch's recursive form rounds differently", () => {
    const s = parseSchedule('cosine:1e-7');
    COSINE_T10_MIN_1E7.forEach((want, t) => expect(Math.abs(learningRate(s, 2e-4, t, 10) / want - 1)).toBeLessThan(1e-12));
  });

  it('refuses malformed schedules with the expected forms', () => {
    expect(() => parseSchedule('multistep:5,3:0.5')).toThrow(/milestones must increase/);
    expect(() => parseSchedule('multistep:5:2')).toThrow(/factor must be in \(0, 1\]/);
    expect(() => parseSchedule('step:5')).toThrow(/unknown schedule "step".*multistep:M1/);
    expect(() => parseSchedule('cosine:-1')).toThrow(/η_min/);
    expect(parseSchedule('constant')).toEqual({ kind: 'constant' });
  });
});
