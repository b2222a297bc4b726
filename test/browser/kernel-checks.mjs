// The conv kernel variants in a page (web/train-check.html): the model fixture through every
// variant the page's adapter offers, and 'auto', against PyTorch's output, with the budgets of
// test/models/kernel-variants.test.ts (f32: 1e-4 of the output's range; f16: 2e-3).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_TIMEOUT_MS } from './downloads.mjs';
import { fail } from './page-checks.mjs';
import { readNpy } from '../helpers/npy.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CASE = resolve(ROOT, 'test/fixtures/models/realesrgan_x2_tiny');

export async function checkKernels(context, url) {
  const page = await context.newPage();
  try {
    await page.goto(`${url}train-check.html`, { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: STEP_TIMEOUT_MS });
    const input = readNpy(resolve(CASE, 'input.npy'));
    const want = readNpy(resolve(CASE, 'output.npy')).data;
    const job = { model: [...readFileSync(resolve(CASE, 'model.pth'))], shape: input.shape, input: [...input.data] };
    const { results, adapter } = await page.evaluate((j) => window.kernelCheck(j), job);
    let min = Infinity;
    let max = -Infinity;
    for (const v of want) [min, max] = [Math.min(min, v), Math.max(max, v)];
    const lines = [];
    for (const r of results) {
      let maxAbs = 0;
      for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(r.output[i] - want[i]) || (Number.isNaN(r.output[i]) ? Infinity : 0));
      const budget = (r.precision === 'f16' ? 2e-3 : 1e-4) * (max - min);
      if (!(maxAbs <= budget)) fail(`kernels ${r.kernels} (${r.ran}, ${r.precision}) in the page: max |Δ| ${maxAbs} over ${budget}`);
      if (r.kernels !== 'auto' && r.ran !== r.kernels) fail(`kernels ${r.kernels} in the page ran ${r.ran}`);
      lines.push(`${r.kernels}/${r.precision} → ${r.ran} (${(maxAbs / (max - min)).toExponential(1)} of range)`);
    }
    return `${adapter}: ${lines.join('; ')}`;
  } finally {
    await page.close();
  }
}
