// The web page with a model file of one's own (the tiny Real-ESRGAN fixture): a tiled run that is
// cancelled, then the whole image, whose PNG download must match PyTorch's within ±1 level.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pngjs from 'pngjs';
import { downloadFrom, STEP_TIMEOUT_MS } from './downloads.mjs';
import { fail, runOnce, RUN_TIMEOUT_MS } from './page-checks.mjs';

/** Picks "a model file of my own" and waits for it to be built. */
export async function chooseModelFile(page, modelPath, imagePath) {
  await page.selectOption('#model', 'file', { timeout: STEP_TIMEOUT_MS });
  await page.setInputFiles('#model-file', modelPath, { timeout: STEP_TIMEOUT_MS });
  await page.setInputFiles('#image-file', imagePath, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: RUN_TIMEOUT_MS });
  const status = (await page.textContent('#model-status')) ?? '';
  if ((await page.evaluate(() => document.body.dataset.model)) !== 'ready') fail(`model file: ${status}: ${await page.textContent('#error')}`);
  return status;
}

/** Cancels a tiled run from inside the page as soon as the first tile reports progress. */
export async function checkCancel(page) {
  await page.fill('#tile', '8', { timeout: STEP_TIMEOUT_MS });
  await page.evaluate(() => {
    const status = document.getElementById('status');
    const observer = new MutationObserver(() => {
      if (/^Tile 1\//.test(status.textContent)) {
        observer.disconnect();
        document.getElementById('cancel').click();
      }
    });
    observer.observe(status, { childList: true, characterData: true, subtree: true });
  });
  const end = await runOnce(page);
  if (end.state !== 'cancelled') fail(`cancel: expected the run to be cancelled, it ended "${end.state}" (${end.status})`);
  const [value, max] = await page.evaluate(() => [document.getElementById('progress').value, document.getElementById('progress').max]);
  if (!(value >= 1 && value < max)) fail(`cancel: progress ${value}/${max}, expected at least one tile and not all`);
  return `cancelled after ${value}/${max} tiles`;
}

/** The whole image: the PNG download against PyTorch's expected.png, every value within ±1 level. */
export async function checkAgainstPyTorch(page, expectedPath) {
  await page.fill('#tile', '0', { timeout: STEP_TIMEOUT_MS });
  await page.selectOption('#format', 'png', { timeout: STEP_TIMEOUT_MS });
  const t0 = performance.now();
  const end = await runOnce(page);
  const seconds = (performance.now() - t0) / 1000;
  if (end.state !== 'done') fail(`upscale ended "${end.state}": ${(await page.textContent('#error')) || end.status}`);
  const [value, max] = await page.evaluate(() => [document.getElementById('progress').value, document.getElementById('progress').max]);
  if (value !== max) fail(`progress bar at ${value}/${max} after the run`);
  const { name, bytes } = await downloadFrom(page, '#download');
  const got = pngjs.PNG.sync.read(Buffer.from(bytes));
  const want = pngjs.PNG.sync.read(readFileSync(resolve(expectedPath)));
  if (got.width !== want.width || got.height !== want.height) fail(`downloaded PNG is ${got.width}×${got.height}, expected ${want.width}×${want.height}`);
  // pngjs decodes both to RGBA; expected.png is RGB (alpha 255), and so must the download be.
  let maxLevel = 0;
  let over = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    maxLevel = Math.max(maxLevel, d);
    if (d > 1) over++;
  }
  if (maxLevel > 1) fail(`downloaded PNG differs from expected.png by up to ${maxLevel} levels (${over} values over ±1)`);
  return `${name} ${got.width}×${got.height}, max difference ${maxLevel} level(s) (tolerance 1) [${seconds.toFixed(1)} s in the page]`;
}
