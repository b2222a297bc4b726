import { describe, expect, it } from 'vitest';
import { imresize } from '../../src/eval/imresize.js';
import { modCrop } from '../../src/eval/score.js';
import type { Image } from '../../src/image/types.js';
import { bicubicLr, checkPairSizes, prepareTrainingPair, toRgb, type PreparedPair } from '../../src/train/data/images.js';
import { Rng } from '../../src/rng.js';
import { cachedSource, memorySource } from '../../src/train/data/source.js';

function noise(width: number, height: number, channels: Image['channels'], bitDepth: 8 | 16 = 8, seed = 1): Image {
  const rng = Rng.derive(seed);
  const max = bitDepth === 8 ? 255 : 65535;
  const n = width * height * channels;
  const data = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.int(0, max);
  return { width, height, channels, bitDepth, data };
}

describe('training images', () => {
  it('become RGB: gray replicated, alpha dropped, 16 bits kept', () => {
    const gray = toRgb(noise(3, 2, 1));
    expect(gray.channels).toBe(3);
    expect([gray.data[0], gray.data[1], gray.data[2]]).toEqual([gray.data[0], gray.data[0], gray.data[0]]);
    const ga = noise(3, 2, 2, 16);
    const rgb = toRgb(ga);
    expect([rgb.channels, rgb.bitDepth, rgb.data[3]]).toEqual([3, 16, ga.data[2]]);
    expect(toRgb(noise(3, 2, 4)).channels).toBe(3);
  });

  it('bicubic LR is the MATLAB-style imresize of the HR image cropped to a multiple of the scale', () => {
    const hr = noise(37, 26, 3);
    const lr = bicubicLr(hr, 4);
    expect([lr.width, lr.height]).toEqual([9, 6]);
    expect(lr.data).toEqual(imresize(modCrop(hr, 4), 1 / 4).data);
    // 16-bit: resized in float; within one 8-bit level of the 8-bit path on the same picture.
    const hr16: Image = { ...hr, bitDepth: 16, data: Uint16Array.from(hr.data, (v) => v * 257) };
    const lr16 = bicubicLr(hr16, 4);
    expect(lr16.bitDepth).toBe(16);
    expect(Math.max(...Array.from(lr16.data, (v, i) => Math.abs(v / 257 - lr.data[i]!)))).toBeLessThanOrEqual(0.51);
  });

  it("accept DIV2K's LR sizes (⌊HR/s⌋ or ⌈HR/s⌉) and name the file otherwise", () => {
    expect(checkPairSizes('0001.png', { width: 2041, height: 1356 }, { width: 511, height: 339 }, 4, 32)).toEqual({ lrWidth: 510, lrHeight: 339 });
    expect(checkPairSizes('0002.png', { width: 2041, height: 1356 }, { width: 510, height: 339 }, 4, 32)).toEqual({ lrWidth: 510, lrHeight: 339 });
    expect(() => checkPairSizes('0003.png', { width: 2040, height: 1356 }, { width: 1020, height: 678 }, 4, 32)).toThrow(
      /0003\.png: the HR image is 2040×1356 and its LR image 1020×678, which is not ×4 \(expected 510×339\)/,
    );
    expect(() => checkPairSizes('tiny.png', { width: 100, height: 300 }, undefined, 4, 32)).toThrow(/tiny\.png: 100×300 is too small for 32×32 LR patches at ×4 \(it needs at least 128×128\)/);
  });

  it('are prepared per mode: none needs an LR image, bicubic and realesrgan refuse one', () => {
    const hr = noise(40, 32, 3);
    const lr = noise(10, 8, 3);
    const none = prepareTrainingPair({ name: 'a', hr, lr }, 4, 8, 'none');
    expect([none.lrWidth, none.lrHeight, none.lr?.width]).toEqual([10, 8, 10]);
    expect(prepareTrainingPair({ name: 'a', hr }, 4, 8, 'bicubic').lr?.data).toEqual(bicubicLr(hr, 4).data);
    expect(prepareTrainingPair({ name: 'a', hr }, 4, 8, 'realesrgan').lr).toBeUndefined();
    expect(() => prepareTrainingPair({ name: 'a.png', hr }, 4, 8, 'none')).toThrow(/a\.png has no LR image/);
    expect(() => prepareTrainingPair({ name: 'a.png', hr, lr }, 4, 8, 'realesrgan')).toThrow(/degrade realesrgan makes the LR images from HR, yet LR images were given too/);
  });
});

describe('image sources', () => {
  const pair = (i: number): PreparedPair => prepareTrainingPair({ name: `${i}`, hr: noise(16, 16, 3, 8, i) }, 2, 4, 'bicubic');
  const bytes = 16 * 16 * 3 + 8 * 8 * 3;

  it('memorySource holds every pair; an empty set is refused', async () => {
    const pairs = [pair(1), pair(2)];
    expect(await memorySource(pairs).get(1)).toBe(pairs[1]);
    expect(() => memorySource([])).toThrow(/no images/);
  });

  it('cachedSource keeps what fits the budget, least recently used out, and loads each miss once', async () => {
    const loads: number[] = [];
    const source = cachedSource(5, async (i) => (loads.push(i), pair(i)), 2 * bytes);
    await Promise.all([source.get(0), source.get(0)]); // concurrent: one load
    await source.get(1);
    await source.get(0); // hit; 1 is now the oldest
    await source.get(2); // evicts 1
    expect(source.heldBytes).toBe(2 * bytes);
    await source.get(0); // still held
    await source.get(1); // loaded again
    expect(loads).toEqual([0, 1, 2, 1]);
  });
});
