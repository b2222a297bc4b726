/**
 * Writes test/fixtures/degrade/chain/: the expected LR of each seed of CHAIN_SEEDS and the plans
 * drawn. Made once with wgsr's own chain, after each of its steps had been checked on its own
 * (kernels, filter2D and resize against BasicSR and PyTorch, noise and JPEG by their statistics
 * and against OpenCV): a regression record, not a reference. Run it only on purpose, after a
 * deliberate change to the chain:   npx vite-node test/train-data/make-chain-fixture.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeImage } from '../../src/io/write.js';
import { planarToImage8 } from '../../src/train/data/planar.js';
import { Rng } from '../../src/rng.js';
import { degradeWithPlan } from '../../src/train/degrade/chain.js';
import { jpegLossyCodec } from '../../src/train/degrade/jpeg-lossy.js';
import { REALESRGAN_DEFAULTS } from '../../src/train/degrade/params.js';
import { drawPlan } from '../../src/train/degrade/plan.js';
import { CHAIN_DIR, CHAIN_SEEDS, chainInput } from './chain-fixture.js';

mkdirSync(CHAIN_DIR, { recursive: true });
const hr = await chainInput();
const plans: Record<string, unknown> = {};
for (const seed of CHAIN_SEEDS) {
  const rng = Rng.derive(seed, 3);
  const plan = drawPlan(rng, REALESRGAN_DEFAULTS);
  plans[seed] = plan;
  const lr = await degradeWithPlan(hr, plan, rng, { scale: 4, codec: jpegLossyCodec });
  await writeImage(resolve(CHAIN_DIR, `seed${seed}.png`), planarToImage8(lr));
}
writeFileSync(resolve(CHAIN_DIR, 'plans.json'), JSON.stringify(plans, null, 1) + '\n');
console.log(`wrote ${CHAIN_SEEDS.length} images and plans.json to ${CHAIN_DIR}`);
