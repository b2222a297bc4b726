import { describe, expect, it } from 'vitest';
import { readNcnnWeights } from '../../src/weights/ncnn-bin.js';
import { parseNcnnParam } from '../../src/weights/ncnn-param.js';
import { error } from '../helpers/errors.js';
import { concat, f32, TAG_F16 } from './ncnn-builder.js';

/** One 1→1 3×3 convolution (9 weights, an odd count of halves) with bias, then a 2-slope PReLU. */
const PARAM = parseNcnnParam(
  new TextEncoder().encode(['7767517', '3 3', 'Input in 0 1 x', 'Convolution c 1 1 x y 0=1 1=3 4=1 5=1 6=9', 'PReLU p 1 1 y z 0=2', ''].join('\n')),
  'm.param',
);
const read = (bin: Uint8Array) => readNcnnWeights(PARAM, bin, 'm.bin');
const tag = (value: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
};
const WEIGHTS = [1, -2, 0.5, 0.25, 3, -0.125, 8, 1.5, -1];
/** The same values as float16 bit patterns (exact), padded to 4 bytes as ncnn writes them. */
const HALF_BITS = Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x3400, 0x4200, 0xb000, 0x4800, 0x3e00, 0xbc00, 0);
const BIAS = f32([0.75]);
const SLOPES = f32([0.1, -0.2]);

describe('ncnn .bin weights', () => {
  it('float16 weights (padded to 4 bytes), float32 bias and PReLU slopes, in layer order', () => {
    const w = read(concat([tag(TAG_F16), new Uint8Array(HALF_BITS.buffer), BIAS, SLOPES]));
    const [conv] = [...w.conv.values()];
    expect(conv!.weight.dtype).toBe('float16');
    expect([...conv!.weight.data]).toEqual(WEIGHTS);
    expect(conv!.bias).toEqual({ shape: [1], data: Float32Array.of(0.75), dtype: 'float32' });
    expect([...w.prelu.values()][0]).toEqual({ shape: [2], data: Float32Array.of(0.1, -0.2), dtype: 'float32' });
  });

  for (const [name, value] of [['0', 0], ['0x0002c056', 0x0002c056]] as const) {
    it(`float32 weights behind tag ${name}`, () => {
      const w = read(concat([tag(value), f32(WEIGHTS), BIAS, SLOPES]));
      const [conv] = [...w.conv.values()];
      expect(conv!.weight.dtype).toBe('float32');
      expect([...conv!.weight.data]).toEqual(WEIGHTS);
    });
  }

  it('refuses int8 and table-quantised weights by name', () => {
    const int8 = error(() => read(concat([tag(0x000d4b38), new Uint8Array(12), BIAS, SLOPES])));
    expect(int8.code).toBe('UNSUPPORTED_MODEL');
    expect(int8.message).toBe(
      'm.bin: the weights of line 4 (Convolution c) of m.param start with tag 0x000d4b38 at offset 0, which ncnn reads as int8-quantised weights. ' +
        'wgsr reads float32 and float16 ncnn weights (tags 0x00000000, 0x0002c056, 0x01306b47); use the float model.',
    );
    const table = error(() => read(concat([tag(0x12345678), new Uint8Array(1024 + 12)])));
    expect(table.code).toBe('UNSUPPORTED_MODEL');
    expect(table.message).toMatch(/tag 0x12345678 at offset 0, which ncnn reads as 8-bit table-quantised weights/);
  });

  const full = concat([tag(TAG_F16), new Uint8Array(HALF_BITS.buffer), BIAS, SLOPES]);
  const truncations: [string, number, RegExp][] = [
    ['the tag', 2, /the file ends inside the weight tag of line 4 \(Convolution c\) of m\.param \(4 bytes from offset 0, only 2 left\)/],
    ['the weights', 10, /the file ends inside the 9 float16 weights of line 4 \(Convolution c\) of m\.param \(20 bytes from offset 4, only 6 left\)/],
    ['the padding', 22, /\(20 bytes from offset 4, only 18 left\)/],
    ['the bias', 26, /the file ends inside the bias of line 4 \(Convolution c\) of m\.param \(4 bytes from offset 24, only 2 left\)/],
    ['the slopes', 30, /the file ends inside the slopes of line 5 \(PReLU p\) of m\.param \(8 bytes from offset 28, only 2 left\)/],
  ];
  for (const [what, length, message] of truncations) {
    it(`a file cut in ${what} is a clean error`, () => {
      const e = error(() => read(full.subarray(0, length)));
      expect(e.code).toBe('BAD_MODEL');
      expect(e.message).toMatch(/^m\.bin: /);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/truncated, or belongs to another \.param/);
    });
  }

  it('bytes left over mean the .bin belongs to another .param', () => {
    const e = error(() => read(concat([full, new Uint8Array(8)])));
    expect(e.message).toBe('m.bin: 8 bytes are left after the weights of the last layer of m.param (the layers take 36 of 44); this .bin does not belong to this .param.');
  });

  it('sizes in the .param are checked against the file before anything is allocated', () => {
    const huge = parseNcnnParam(new TextEncoder().encode('7767517\n2 2\nInput in 0 1 x\nConvolution c 1 1 x y 0=1 1=3 5=1 6=2147483647\n'), 'm.param');
    const before = process.memoryUsage().arrayBuffers;
    const e = error(() => readNcnnWeights(huge, concat([tag(0), new Uint8Array(64)]), 'm.bin'));
    expect(e.message).toMatch(/the file ends inside the 2147483647 float32 weights of line 4 \(Convolution c\) of m\.param \(8589934588 bytes from offset 4, only 64 left\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1e6);
    const negative = parseNcnnParam(new TextEncoder().encode('7767517\n2 2\nInput in 0 1 x\nPReLU p 1 1 x y 0=-4\n'), 'm.param');
    expect(error(() => readNcnnWeights(negative, new Uint8Array(0), 'm.bin')).message).toMatch(/line 4 \(PReLU p\) gives its slopes a negative size \(-4\)/);
  });
});
