import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read.js';
import type { Image } from '../../src/image/types.js';
import { expectClose } from '../helpers/compare.js';

/** The sample images of Real-ESRGAN's inputs/ (see test/fixtures/images/README.md for the table). */
const dir = new URL('../fixtures/images/', import.meta.url).pathname;
const alphaStats = (image: Image) => {
  const max = image.bitDepth === 8 ? 255 : 65535;
  const alpha: number[] = [];
  for (let i = image.channels - 1; i < image.data.length; i += image.channels) alpha.push(image.data[i]!);
  return { transparent: alpha.filter((a) => a === 0).length / alpha.length, distinct: new Set(alpha).size, max };
};

describe('reading the sample images', () => {
  it.each([
    ['0014.jpg', 179, 179, 3, 8],
    ['wolf_gray.jpg', 236, 236, 1, 8],
    ['children-alpha.png', 566, 350, 4, 8],
    ['tree_alpha_16bit.png', 342, 256, 4, 16],
    ['00017_gray.png', 500, 351, 1, 8],
    ['OST_009.png', 448, 640, 3, 8],
  ] as const)('%s: %i×%i, %i channels, %i-bit', async (name, width, height, channels, bitDepth) => {
    const image = await readImage(dir + name);
    expect([image.width, image.height, image.channels, image.bitDepth]).toEqual([width, height, channels, bitDepth]);
    expect(image.data).toBeInstanceOf(bitDepth === 8 ? Uint8Array : Uint16Array);
    expect(image.data.length).toBe(width * height * channels);
  });

  it('children-alpha.png: real transparency (≈42% alpha 0, 254 distinct alpha values)', async () => {
    const s = alphaStats(await readImage(dir + 'children-alpha.png'));
    expect(s.distinct).toBe(254);
    expect(s.transparent).toBeGreaterThan(0.41);
    expect(s.transparent).toBeLessThan(0.43);
  });

  it('tree_alpha_16bit.png: true 16-bit samples (not 8-bit ×257), ≈49% transparent', async () => {
    const image = await readImage(dir + 'tree_alpha_16bit.png');
    const s = alphaStats(image);
    expect(s.transparent).toBeGreaterThan(0.48);
    expect(s.transparent).toBeLessThan(0.5);
    expect(Array.from(image.data).some((v) => v % 257 !== 0)).toBe(true);
  });

  it('0014.jpg matches the PIL-decoded crop of the pipeline fixture within decoder differences', async () => {
    // jpeg-js replicates 4:2:0 chroma where libjpeg (PIL) interpolates it, so color differs more
    // than luma. Measured: max |Δ| 15, mean 1.65 on RGB; luma max 2.6.
    const jpeg = await readImage(dir + '0014.jpg');
    const pil = await readImage(new URL('../fixtures/pipeline/realesrgan_x4_tiny_0014_crop_whole/input.png', import.meta.url).pathname);
    const crop: number[] = [];
    const lumaGot: number[] = [];
    const lumaWant: number[] = [];
    const luma = (d: ArrayLike<number>, i: number) => 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 48; x++) {
        const i = ((y + 28) * 179 + x + 64) * 3;
        crop.push(jpeg.data[i]!, jpeg.data[i + 1]!, jpeg.data[i + 2]!);
        lumaGot.push(luma(jpeg.data, i));
        lumaWant.push(luma(pil.data, (y * 48 + x) * 3));
      }
    }
    const rgb = expectClose(crop, Array.from(pil.data), 20, 0, 'RGB (|Δ| ≤ 20)');
    const meanAbs = crop.reduce((s, v, i) => s + Math.abs(v - pil.data[i]!), 0) / crop.length;
    expect(meanAbs).toBeLessThan(2.5);
    expect(rgb.maxAbs).toBeGreaterThan(0); // different decoders: the comparison is not vacuous
    expectClose(lumaGot, lumaWant, 3, 0, 'luma (|Δ| ≤ 3)');
  });

  it('sniffs the format from the bytes, not the name', async () => {
    const { decodeImage } = await import('../../src/io/decode.js');
    const png = readFileSync(dir + '00017_gray.png');
    expect(decodeImage(png, 'misnamed.jpg').channels).toBe(1);
  });
});
