import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read.js';
import { planar } from '../../src/train/data/planar.js';
import { Rng } from '../../src/rng.js';
import { degradeWithPlan } from '../../src/train/degrade/chain.js';
import { jpegLossyCodec } from '../../src/train/degrade/jpeg-lossy.js';
import { REALESRGAN_DEFAULTS } from '../../src/train/degrade/params.js';
import { drawPlan } from '../../src/train/degrade/plan.js';
import { CHAIN_DIR, CHAIN_SEEDS, chainInput } from './chain-fixture.js';

/**
 * A regression check of the whole chain. The expected images in test/fixtures/degrade/chain/
 * were made once by this code (make-chain-fixture.ts), after each step had been checked on its
 * own against BasicSR, PyTorch and OpenCV or by its statistics (the other tests here): they
 * record what the chain did then. Any change to a step, to the order of the random draws or to
 * the defaults changes the plans or the pixels, and this test fails.
 *
 * Tolerance: the same plan must give the same pixels up to ±1 level in at most 1 % of the
 * samples (another JavaScript engine's Math.exp/cos may round a last bit differently, and an
 * 8-bit rounding can flip); any real change moves far more than that.
 */
describe('the degradation chain (fixed seeds)', () => {
  const plans = JSON.parse(readFileSync(resolve(CHAIN_DIR, 'plans.json'), 'utf8')) as Record<string, unknown>;

  it('draws the recorded plans', () => {
    for (const seed of CHAIN_SEEDS) expect(JSON.parse(JSON.stringify(drawPlan(Rng.derive(seed, 3), REALESRGAN_DEFAULTS))), `seed ${seed}`).toEqual(plans[seed]);
  });

  it('makes the recorded LR images from the recorded HR crop', async () => {
    const hr = await chainInput();
    for (const seed of CHAIN_SEEDS) {
      const rng = Rng.derive(seed, 3);
      const lr = await degradeWithPlan(hr, drawPlan(rng, REALESRGAN_DEFAULTS), rng, { scale: 4, codec: jpegLossyCodec });
      const want = await readImage(resolve(CHAIN_DIR, `seed${seed}.png`));
      expect([lr.channels, lr.height, lr.width]).toEqual([3, 32, 32]);
      let off = 0;
      for (let i = 0; i < 32 * 32; i++) {
        for (let c = 0; c < 3; c++) {
          const got = Math.round(lr.data[c * 1024 + i]! * 255);
          const d = Math.abs(got - want.data[i * 3 + c]!);
          if (d > 1) throw new Error(`seed ${seed}: sample (${c}, ${i}) is ${got}, recorded ${want.data[i * 3 + c]}`);
          off += d;
        }
      }
      expect(off, `seed ${seed}: samples off by one`).toBeLessThanOrEqual(0.01 * 3 * 1024);
    }
  });

  it('ends on the 8-bit grid in [0, 1], and refuses sizes that do not divide by the scale', async () => {
    const hr = await chainInput();
    const rng = Rng.derive(99, 3);
    const lr = await degradeWithPlan(hr, drawPlan(rng, REALESRGAN_DEFAULTS), rng, { scale: 4, codec: jpegLossyCodec });
    expect(lr.data.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4)).toBe(true);
    const odd = planar(3, 30, 32);
    await expect(degradeWithPlan(odd, drawPlan(rng, REALESRGAN_DEFAULTS), rng, { scale: 4, codec: jpegLossyCodec })).rejects.toThrow(/32×30 HR image does not divide by the scale 4/);
  });
});
