import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { encodeImage } from '../../src/io/encode.js';
import type { Image } from '../../src/image/types.js';
import { craftPng, type CraftOptions } from './png-craft.js';
import { hashSample, makeImage } from '../image/images.js';

const W = 11;
const H = 7;
const decoded = (o: Omit<CraftOptions, 'width' | 'height'>) => decodeImage(craftPng({ width: W, height: H, ...o }), 'crafted.png');
const samples = (image: Image) => Array.from(image.data);
const expected = (channels: number, value: (x: number, y: number, c: number) => number) => {
  const out: number[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) out.push(value(x, y, c));
  return out;
};

describe('PNG decoding keeps the real layout (pngjs expands everything to RGBA; we reduce back)', () => {
  it.each([1, 2, 4, 8] as const)('gray %i-bit → 1 channel, 8-bit, scaled v·255/(2^d − 1)', (bitDepth) => {
    const max = 2 ** bitDepth - 1;
    const image = decoded({ colorType: 0, bitDepth, pixel: (x, y) => [hashSample(x, y, 0, max)] });
    expect([image.width, image.height, image.channels, image.bitDepth]).toEqual([W, H, 1, 8]);
    expect(samples(image)).toEqual(expected(1, (x, y) => (hashSample(x, y, 0, max) * 255) / max));
  });

  it('gray 16-bit → 1 channel, 16-bit, values untouched', () => {
    const image = decoded({ colorType: 0, bitDepth: 16, pixel: (x, y) => [hashSample(x, y, 0, 65535)] });
    expect([image.channels, image.bitDepth, image.data.constructor.name]).toEqual([1, 16, 'Uint16Array']);
    expect(samples(image)).toEqual(expected(1, (x, y) => hashSample(x, y, 0, 65535)));
  });

  it.each([
    [4, 8],
    [4, 16],
    [2, 8],
    [2, 16],
    [6, 8],
    [6, 16],
  ] as const)('color type %i, %i-bit: channels and values exact', (colorType, bitDepth) => {
    const channels = { 4: 2, 2: 3, 6: 4 }[colorType];
    const max = 2 ** bitDepth - 1;
    const image = decoded({ colorType, bitDepth, pixel: (x, y) => Array.from({ length: channels }, (_, c) => hashSample(x, y, c, max)) });
    expect([image.channels, image.bitDepth]).toEqual([channels, bitDepth]);
    expect(samples(image)).toEqual(expected(channels, (x, y, c) => hashSample(x, y, c, max)));
  });

  it('palette → RGB; palette with tRNS → RGBA with the palette alphas', () => {
    const palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]];
    const index = (x: number, y: number) => (x + 2 * y) % 4;
    const rgb = decoded({ colorType: 3, bitDepth: 2, palette, pixel: (x, y) => [index(x, y)] });
    expect([rgb.channels, rgb.bitDepth]).toEqual([3, 8]);
    expect(samples(rgb)).toEqual(expected(3, (x, y, c) => palette[index(x, y)]![c]!));
    const trns = new Uint8Array([0, 128, 255]); // entry 3 has no tRNS value: opaque
    const rgba = decoded({ colorType: 3, bitDepth: 8, palette, trns, pixel: (x, y) => [index(x, y)] });
    expect(rgba.channels).toBe(4);
    expect(samples(rgba)).toEqual(expected(4, (x, y, c) => (c < 3 ? palette[index(x, y)]![c]! : [0, 128, 255, 255][index(x, y)]!)));
  });

  it('gray and RGB with a tRNS color key gain an alpha channel (key color → alpha 0)', () => {
    const ga = decoded({ colorType: 0, bitDepth: 8, trns: new Uint8Array([0, 7]), pixel: (x) => [x === 0 ? 7 : 100] });
    expect(ga.channels).toBe(2);
    expect(samples(ga)).toEqual(expected(2, (x, _y, c) => (x === 0 ? 0 : c === 0 ? 100 : 255)));
    const rgba = decoded({ colorType: 2, bitDepth: 8, trns: new Uint8Array([0, 1, 0, 2, 0, 3]), pixel: (x) => (x === 0 ? [1, 2, 3] : [9, 9, 9]) });
    expect(rgba.channels).toBe(4);
    expect(samples(rgba)).toEqual(expected(4, (x, _y, c) => (x === 0 ? 0 : c === 3 ? 255 : 9)));
  });

  it('interlaced (Adam7) images decode to the same pixels as progressive ones', () => {
    for (const [colorType, bitDepth, channels] of [[2, 8, 3], [0, 16, 1], [6, 16, 4], [0, 1, 1]] as const) {
      const max = 2 ** bitDepth - 1;
      const pixel = (x: number, y: number) => Array.from({ length: channels }, (_, c) => hashSample(x, y, c, max));
      const plain = decoded({ colorType, bitDepth, pixel });
      const interlaced = decoded({ colorType, bitDepth, pixel, interlace: true });
      expect(samples(interlaced)).toEqual(samples(plain));
    }
  });
});

describe('PNG encoding', () => {
  it('round-trips every channel count at 8 and 16 bits exactly', () => {
    for (const bitDepth of [8, 16] as const) {
      for (const channels of [1, 2, 3, 4] as const) {
        const image = makeImage(13, 6, channels, bitDepth, (x, y, c) => hashSample(x, y, c, bitDepth === 8 ? 255 : 65535));
        const back = decodeImage(encodeImage(image, 'png'), 'round-trip.png');
        expect([back.width, back.height, back.channels, back.bitDepth]).toEqual([13, 6, channels, bitDepth]);
        expect(samples(back)).toEqual(samples(image));
      }
    }
  });

  it('writes 16-bit data that starts inside a larger buffer (pngjs reads from offset 0 otherwise)', () => {
    const backing = new Uint16Array(100 + 4 * 3 * 3);
    const data = backing.subarray(100);
    data.forEach((_, i) => (data[i] = i * 1000));
    const back = decodeImage(encodeImage({ width: 4, height: 3, channels: 3, bitDepth: 16, data }, 'png'), 'offset.png');
    expect(samples(back)).toEqual(Array.from(data));
  });
});
