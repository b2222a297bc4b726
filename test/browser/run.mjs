// The web page, for real: Debian's Chromium (headless) driven by playwright-core loads web/ from
// web/serve.mjs, gets a WebGPU adapter, cancels one tiled run, then upscales the pipeline fixture
// through the file inputs and checks the downloaded PNG against PyTorch's expected.png (every
// value within ±1 level); then web/train-check.html trains the SRVGG training fixture for a few
// steps with createTrainer (losses within 1e-4 of PyTorch's). Screenshot:
// bench/results/browser-<backend>.png.
// `npm run test:browser` (after `npm run build`). WGSR_BROWSER_BACKEND=gles|swiftshader forces one.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CASE = resolve(ROOT, 'test/fixtures/pipeline/realesrgan_x4_tiny_0014_crop_whole');
const MODEL = resolve(ROOT, 'test/fixtures/models/realesrgan_x4_tiny/model.pth');
const RESULTS = resolve(ROOT, 'bench/results');
const TRAIN_CASE = resolve(ROOT, 'test/fixtures/train/models/srvgg_x4_train');
const TRAIN_STEPS = 3;

/** Every wait is bounded; the whole run too (a hung GPU process must not hang CI). */
const ADAPTER_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 600_000;

const COMMON_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Unmasks adapter.info (vendor, description), so the page can say which adapter it got.
  '--enable-webgpu-developer-features',
];
/** Tried in this order: Dawn's GLES backend on Mesa llvmpipe (compatibility mode), then SwiftShader. */
const BACKENDS = {
  gles: ['--use-webgpu-adapter=opengles', '--use-angle=gl-egl'],
  swiftshader: ['--enable-unsafe-webgpu'],
};

class TestFailure extends Error {}

function fail(message) {
  throw new TestFailure(message);
}

/** Launches Chromium with one backend's flags and waits for the page to have a device (or an error). */
async function openPage(url, backend, profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...COMMON_FLAGS, ...BACKENDS[backend]],
    acceptDownloads: true,
    viewport: { width: 1000, height: 1100 },
    timeout: STEP_TIMEOUT_MS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  await page.goto(url, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: ADAPTER_TIMEOUT_MS });
  const state = await page.evaluate(() => document.body.dataset.state);
  const adapter = (await page.textContent('#adapter')) ?? '';
  const details = (await page.textContent('#adapter-details')) ?? '';
  const error = (await page.textContent('#error')) ?? '';
  return { context, page, consoleLines, ok: state === 'ready', adapter, details, error };
}

/** Starts a run and waits for it to end; returns the final state. */
async function runOnce(page, timeout) {
  await page.click('#run', { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout });
  return page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status').textContent }));
}

/** Cancels a tiled run from inside the page as soon as the first tile reports progress. */
async function checkCancel(page) {
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
  const end = await runOnce(page, RUN_TIMEOUT_MS);
  if (end.state !== 'cancelled') fail(`cancel: expected the run to be cancelled, it ended "${end.state}" (${end.status})`);
  const [value, max] = await page.evaluate(() => [document.getElementById('progress').value, document.getElementById('progress').max]);
  if (!(value >= 1 && value < max)) fail(`cancel: progress ${value}/${max}, expected at least one tile and not all`);
  return `cancelled after ${value}/${max} tiles`;
}

/** The full run: upscale, download the PNG, compare with expected.png. */
async function checkUpscale(page) {
  await page.fill('#tile', '0', { timeout: STEP_TIMEOUT_MS });
  const t0 = performance.now();
  const end = await runOnce(page, RUN_TIMEOUT_MS);
  const seconds = (performance.now() - t0) / 1000;
  if (end.state !== 'done') fail(`upscale ended "${end.state}": ${(await page.textContent('#error')) || end.status}`);
  const [value, max] = await page.evaluate(() => [document.getElementById('progress').value, document.getElementById('progress').max]);
  if (value !== max) fail(`progress bar at ${value}/${max} after the run`);

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS }),
    page.click('#download', { timeout: STEP_TIMEOUT_MS }),
  ]);
  const file = await download.path();
  const got = pngjs.PNG.sync.read(readFileSync(file));
  const want = pngjs.PNG.sync.read(readFileSync(resolve(CASE, 'expected.png')));
  if (got.width !== want.width || got.height !== want.height) {
    fail(`downloaded PNG is ${got.width}×${got.height}, expected ${want.width}×${want.height}`);
  }
  // pngjs decodes both to RGBA; expected.png is RGB (alpha 255), the canvas's PNG must be opaque.
  let maxLevel = 0;
  let over = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    maxLevel = Math.max(maxLevel, d);
    if (d > 1) over++;
  }
  if (maxLevel > 1) fail(`downloaded PNG differs from expected.png by up to ${maxLevel} levels (${over} values over ±1)`);
  return { detail: `${download.suggestedFilename()} ${got.width}×${got.height}, max difference ${maxLevel} level(s) (tolerance 1)`, seconds };
}

/** Reads a little-endian float32 .npy (the fixtures' format): shape and values. */
function readNpy(path) {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
  return { shape, data };
}

/** A few training steps in a page of their own: every loss within 1e-4 relative of PyTorch's. */
async function checkTraining(context, url) {
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

async function main() {
  const started = performance.now();
  if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM=/path/to/chrome)`);
  if (!existsSync(resolve(ROOT, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` first');
  const forced = process.env.WGSR_BROWSER_BACKEND;
  if (forced && !(forced in BACKENDS)) fail(`WGSR_BROWSER_BACKEND must be one of ${Object.keys(BACKENDS).join(', ')}`);
  const backends = forced ? [forced] : Object.keys(BACKENDS);

  const { server, url } = await startServer();
  const profiles = [];
  let opened;
  try {
    for (const backend of backends) {
      const profile = mkdtempSync(join(tmpdir(), 'wgsr-chromium-'));
      profiles.push(profile);
      const attempt = await openPage(url, backend, profile);
      if (attempt.ok) {
        opened = { ...attempt, backend };
        break;
      }
      console.log(`${backend}: no usable WebGPU device: ${attempt.error || '(no message)'}`);
      await attempt.context.close();
    }
    if (!opened) fail(`no backend gave the page a WebGPU device (tried ${backends.join(', ')})`);
    const { page, context, backend, consoleLines } = opened;
    try {
      console.log(`chromium ${backend}: adapter ${opened.adapter} (${opened.details})`);
      await page.setInputFiles('#image-file', resolve(CASE, 'input.png'), { timeout: STEP_TIMEOUT_MS });
      await page.setInputFiles('#model-file', MODEL, { timeout: STEP_TIMEOUT_MS });
      console.log(`ok   cancel: ${await checkCancel(page)}`);
      const { detail, seconds } = await checkUpscale(page);
      console.log(`ok   upscale: ${detail} [${seconds.toFixed(1)} s in the page]`);
      console.log(`ok   train: ${await checkTraining(context, url)}`);
      mkdirSync(RESULTS, { recursive: true });
      const shot = resolve(RESULTS, `browser-${backend}.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: STEP_TIMEOUT_MS });
      console.log(`screenshot ${shot}`);
    } catch (e) {
      if (consoleLines.length) console.log(`page console:\n  ${consoleLines.join('\n  ')}`);
      throw e;
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
  }
  console.log(`browser test passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const watchdog = setTimeout(() => {
  console.error(`FAIL browser test: still running after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();
try {
  await main();
  process.exit(0);
} catch (e) {
  // Our own failures are one line; playwright's timeouts carry a useful first line too.
  const message = e instanceof TestFailure ? e.message : e instanceof Error ? e.message.split('\n').slice(0, 3).join(' | ') : String(e);
  console.error(`FAIL browser test: ${message}`);
  process.exit(1);
}
