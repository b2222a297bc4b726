// Training in a page of its own (web/train-check.html): a few steps of the SRVGG training
// fixture with createTrainer on the page's WebGPU device, each loss against PyTorch's.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_TIMEOUT_MS } from './downloads.mjs';
import { fail } from './page-checks.mjs';
import { readNpy } from '../helpers/npy.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TRAIN_CASE = resolve(ROOT, 'test/fixtures/train/models/srvgg_x4_train');
const TRAIN_STEPS = 3;

/** A few training steps in a page of their own: every loss within 1e-4 relative of PyTorch's. */
export async function checkTraining(context, url) {
  const page = await context.newPage();
  try {
    await page.goto(`${url}train-check.html`, { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: STEP_TIMEOUT_MS });
    const meta = JSON.parse(readFileSync(resolve(TRAIN_CASE, 'meta.json'), 'utf8'));
    const lr = readNpy(resolve(TRAIN_CASE, 'lr.npy'));
    const hr = readNpy(resolve(TRAIN_CASE, 'hr.npy'));
    const at = (a, s) => {
      const [, ...shape] = a.shape;
      const size = shape.reduce((x, y) => x * y, 1);
      return { shape, values: [...a.data.subarray(s * size, (s + 1) * size)] };
    };
    const steps = Array.from({ length: TRAIN_STEPS }, (_, s) => ({ lrShape: at(lr, s).shape, lr: at(lr, s).values, hrShape: at(hr, s).shape, hr: at(hr, s).values }));
    const o = meta.optimizer;
    const job = { model: [...readFileSync(resolve(TRAIN_CASE, 'init.pth'))], loss: 'l1', optimizer: { name: 'adam', lr: o.lr, betas: o.betas, eps: o.eps }, steps };
    const result = await page.evaluate((j) => window.trainCheck(j), job);
    const worst = Math.max(...result.losses.map((l, s) => Math.abs(l / meta.losses[s] - 1)));
    if (!(worst <= 1e-4)) fail(`training in the page: losses ${result.losses.join(', ')} vs PyTorch's ${meta.losses.slice(0, TRAIN_STEPS).join(', ')}`);
    return `${TRAIN_STEPS} SRVGG steps on ${result.adapter}, losses within ${worst.toExponential(2)} of PyTorch's (tolerance 1e-4)`;
  } finally {
    await page.close();
  }
}

