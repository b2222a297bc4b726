import { resolve } from 'node:path';
import { readImage } from '../../src/io/read.js';
import { imageToPlanar, type Planar } from '../../src/train/data/planar.js';
import { FIXTURES } from './reference.js';

/**
 * The regression case of the whole degradation chain: a 128×128 crop of a photo, degraded to
 * 32×32 (×4) with the stream Rng.derive(seed, 3) for each seed below. The seeds were picked to
 * reach every branch: a sinc, Gaussian-family and plateau first blur; resize up, down and keep;
 * Gaussian and Poisson noise, colour and gray; no second blur; both orders of the last steps;
 * with and without the final sinc.
 */
export const CHAIN_SEEDS = [0, 2, 4, 8, 11, 14, 34, 62] as const;
export const CHAIN_DIR = resolve(FIXTURES, 'chain');

export async function chainInput(): Promise<Planar> {
  const photo = await readImage(resolve(__dirname, '../fixtures/images/OST_009.png'));
  const data = new Uint8Array(128 * 128 * 3); // the 128×128 square at (160, 240)
  for (let y = 0; y < 128; y++) data.set(photo.data.subarray(((240 + y) * photo.width + 160) * 3, ((240 + y) * photo.width + 288) * 3), y * 128 * 3);
  return imageToPlanar({ width: 128, height: 128, channels: 3, bitDepth: 8, data });
}
