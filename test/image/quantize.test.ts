import { describe, expect, it } from 'vitest';
import { grayFromRgb, roundHalfEven, sampleToNetwork, unitToSample } from '../../src/image/quantize.js';

describe('quantisation as numpy does it', () => {
  it('rounds half to even like numpy.round', () => {
    expect([0.5, 1.5, 2.5, 3.5, 254.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 254, 2, 3]);
  });

  it('multiplies in float32 before rounding (x·255 of a float32 x is itself rounded to float32)', () => {
    // x·255 is 100.5000016 in float64 (which would round to 101) but exactly 100.5 in float32.
    const x = Math.fround(100.5 / 255);
    const exact = x * 255;
    expect(exact).toBeGreaterThan(100.5);
    expect(Math.fround(exact)).toBe(100.5);
    expect(unitToSample(x, 255)).toBe(100); // float32 100.5 → half to even → 100
  });

  it('maps every 8- and 16-bit sample through the network input and back to itself', () => {
    for (const max of [255, 65535]) {
      for (let v = 0; v <= max; v++) expect(unitToSample(sampleToNetwork(v, max, 1), max)).toBe(v);
    }
  });

  it('gives an EDSR-style network (input range 255) the exact integers of an 8-bit image', () => {
    for (let v = 0; v <= 255; v++) expect(sampleToNetwork(v, 255, 255)).toBe(v);
  });

  it('converts RGB to gray with the BT.601 weights of cv2 (0.299 R + 0.587 G + 0.114 B), within float32 rounding', () => {
    expect(grayFromRgb(1, 0, 0)).toBe(Math.fround(0.299));
    expect(grayFromRgb(0, 1, 0)).toBe(Math.fround(0.587));
    expect(grayFromRgb(0, 0, 1)).toBe(Math.fround(0.114));
    // |Δ| ≤ 1e-7 (two float32 ulps near 1)
    expect(Math.abs(grayFromRgb(1, 1, 1) - 1)).toBeLessThanOrEqual(1e-7);
  });
});
