import { describe, expect, it } from 'vitest';
import { paddedAxis, reflectIndex } from '../../src/image/pad.js';

describe('reflect padding (PyTorch/numpy "reflect")', () => {
  it('mirrors without repeating the edge sample', () => {
    // numpy.pad(arange(4), (0, 3), 'reflect') == [0 1 2 3 2 1 0]
    expect([4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([2, 1, 0]);
    expect([-1, -2].map((i) => reflectIndex(i, 4))).toEqual([1, 2]);
  });

  it('folds again for pads longer than the axis (numpy behaviour) and maps a 1-pixel axis to itself', () => {
    // numpy.pad(arange(3), (0, 6), 'reflect') == [0 1 2 1 0 1 2 1 0]
    expect(Array.from({ length: 9 }, (_, i) => reflectIndex(i, 3))).toEqual([0, 1, 2, 1, 0, 1, 2, 1, 0]);
    expect([0, 1, 5].map((i) => reflectIndex(i, 1))).toEqual([0, 0, 0]);
  });
});

describe('paddedAxis (RealESRGANer.pre_process on one axis)', () => {
  it('is the identity without padding', () => {
    expect(Array.from(paddedAxis(5, 0, 1))).toEqual([0, 1, 2, 3, 4]);
  });

  it('pads to the size multiple by reflection (×2: 5 → 6; ×1 networks: 5 → 8)', () => {
    expect(Array.from(paddedAxis(5, 0, 2))).toEqual([0, 1, 2, 3, 4, 3]);
    expect(Array.from(paddedAxis(5, 0, 4))).toEqual([0, 1, 2, 3, 4, 3, 2, 1]);
  });

  it('applies pre_pad first, then mod-pads the pre-padded axis (reflecting it, not the original)', () => {
    // F.pad(arange(5), (0, 2), 'reflect') = [0 1 2 3 4 3 2]; then to a multiple of 4:
    // reflect([0 1 2 3 4 3 2], (0, 1)) = [0 1 2 3 4 3 2 3]
    expect(Array.from(paddedAxis(5, 2, 4))).toEqual([0, 1, 2, 3, 4, 3, 2, 3]);
  });
});
