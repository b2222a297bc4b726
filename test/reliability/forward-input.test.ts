import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpscaler, type Upscaler } from '../../src/upscaler.js';
import { rejection } from '../helpers/errors.js';
import { testDevice } from '../helpers/gpu.js';

/** forward() takes what people pass it: float64 and plain arrays are numbers too, not bytes. */
let up: Upscaler;
beforeAll(async () => {
  up = await createUpscaler(readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth')), { device: (await testDevice()).device });
});
afterAll(() => up.destroy());

const values = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i % 13) / 13);

describe('forward input', () => {
  it('a Float64Array or a plain array gives exactly the Float32Array result', async () => {
    const shape = [1, 3, 4, 5] as const;
    const want = (await up.forward({ shape, data: Float32Array.from(values) })).data;
    for (const data of [Float64Array.from(values), values]) {
      const got = (await up.forward({ shape, data: data as unknown as Float32Array })).data;
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });

  it.each([
    ['data shorter than the shape', { shape: [1, 3, 4, 6], data: Float32Array.from(values) }, /shape \[1, 3, 4, 6\] holds 72 values, data has 60/],
    ['a three-number shape', { shape: [3, 4, 5], data: Float32Array.from(values) }, /four whole numbers ≥ 1, got shape \[3,4,5\]/],
    ['a fractional size', { shape: [1, 3, 4.5, 5], data: Float32Array.from(values) }, /four whole numbers ≥ 1/],
    ['bytes as data', { shape: [1, 3, 4, 5], data: new Uint8Array(60) }, /data as a Float32Array .* got object/],
  ])('refuses %s with a message', async (_, input, message) => {
    const e = await rejection(up.forward(input as never));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toMatch(message);
  });
});
