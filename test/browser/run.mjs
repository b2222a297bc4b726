// The web page, for real: Debian's Chromium (headless) driven by playwright-core loads web/ from
// web/serve.mjs and gets a WebGPU adapter; then, as a person would use it:
// - the bundled model is ready at load, and the picker offers nothing made up;
// - a chosen photo shows at once; Upscale runs twice on one build of the model;
// - the split line is dragged on the picture and sits where it splits it; "before" is smooth;
//   1:1 shows the result's pixels and pans by dragging;
// - PNG, JPEG and WebP downloads, with alpha only where the result has it (an RGBA image too);
// - a broken model file clears the result and shows the error; the bundled model recovers;
// - the bundled model's denoise slider blends in the denoising model as wgsr upscale --denoise-strength does;
// - a model file of one's own: a cancelled tiled run, then the PNG against PyTorch's (±1 level);
// - browsers without WebGPU get advice for that browser (simulated user agents);
// - web/train-check.html trains the SRVGG training fixture for a few steps with createTrainer
//   (losses within 1e-4 of PyTorch's);
// - the fine-tune panel trains a tiny SRVGG for 20 steps on two photos: the loss falls, Stop
//   stops, bad input is refused, and the .safetensors it downloads loads (finetune-checks.mjs).
// Screenshots: bench/results/browser-<backend>-<step>.png (not in git): look at them.
// `npm run test:browser` (after `npm run build`). WGSR_BROWSER_BACKEND=gles|swiftshader forces one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';
import { checkNoWebGpuAdvice } from './advice-checks.mjs';
import { STEP_TIMEOUT_MS } from './downloads.mjs';
import { checkAgainstPyTorch, checkCancel, chooseModelFile } from './model-file-checks.mjs';
import { checkFinetune } from './finetune-checks.mjs';
import { checkTraining } from './train-checks.mjs';
import { checkKernels } from './kernel-checks.mjs';
import {
  checkDefaultModel,
  checkDenoiseSlider,
  checkDownloads,
  checkErrorClears,
  checkPreview,
  checkRecovers,
  checkSmoothBefore,
  checkSplit,
  checkUpscaleReusesModel,
  checkZoomPan,
  fail,
  runOnce,
  TestFailure,
} from './page-checks.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CASE = resolve(ROOT, 'test/fixtures/pipeline/realesrgan_x4_tiny_0014_crop_whole');
const MODEL = resolve(ROOT, 'test/fixtures/models/realesrgan_x4_tiny/model.pth');
const PHOTO = resolve(ROOT, 'examples/chelsea.png'); // 200×150
const RESULTS = resolve(ROOT, 'bench/results');

/** Every wait is bounded; the whole run too (a hung GPU process must not hang CI). */
const ADAPTER_TIMEOUT_MS = 90_000;
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

/** An RGBA test image: the left half fully transparent, the right half an opaque gradient. */
function writeTransparentImage(path) {
  const png = new pngjs.PNG({ width: 32, height: 24 });
  for (let y = 0; y < 24; y++) {
    for (let x = 0; x < 32; x++) {
      const i = (y * 32 + x) * 4;
      png.data.set(x < 16 ? [200, 30, 30, 0] : [x * 7, y * 9, 120, 255], i);
    }
  }
  writeFileSync(path, pngjs.PNG.sync.write(png));
}

const ok = (what, line) => console.log(`ok   ${what}: ${line}`);

/** The photo upscaled by the CLI at denoise strength 0.5 (what the page's slider must give). */
function cliBlend(scratch) {
  const out = join(scratch, 'chelsea-denoise-0.5.png');
  execFileSync(process.execPath, [resolve(ROOT, 'bin/wgsr.js'), 'upscale', PHOTO, '-o', out, '--denoise-strength', '0.5', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** Everything a person does on the page, in order; screenshots at the steps worth looking at. */
async function scenario(page, url, shot, scratch) {
  mkdirSync(RESULTS, { recursive: true });
  const take = async (step) => page.screenshot({ path: shot(step), fullPage: true, timeout: STEP_TIMEOUT_MS });
  ok('bundled model', await checkDefaultModel(page));
  ok('preview', await checkPreview(page, PHOTO, [200, 150]));
  await take('preview');
  ok('upscale', await checkUpscaleReusesModel(page, [800, 600]));
  ok('split', await checkSplit(page, 0.25));
  ok('before', await checkSmoothBefore(page));
  await take('compare');
  const zoom = await checkZoomPan(page, [800, 600]);
  await take('zoom-1to1');
  await zoom.restore();
  ok('zoom', zoom.line);
  ok('downloads, opaque', (await checkDownloads(page, false)).line);
  const error = await checkErrorClears(page);
  await take('error');
  ok('error clears the result', error.line);
  ok('recovers', await checkRecovers(page));
  ok('denoise slider', await checkDenoiseSlider(page, PHOTO, cliBlend(scratch)));

  const transparent = join(scratch, 'transparent.png');
  writeTransparentImage(transparent);
  await checkPreview(page, transparent, [32, 24]);
  const end = await runOnce(page);
  if (end.state !== 'done') fail(`transparent image: the run ended "${end.state}": ${end.status}`);
  await page.selectOption('#format', 'jpeg');
  await take('alpha');
  const { line, png } = await checkDownloads(page, true);
  // The network upscales alpha like a gray image: the transparent half stays transparent (±2 levels), the opaque half opaque.
  const alphaAt = (x, y) => png.data[(y * png.width + x) * 4 + 3];
  if (!(alphaAt(20, 48) <= 2 && alphaAt(108, 48) >= 253)) fail(`alpha ${alphaAt(20, 48)} in the transparent half and ${alphaAt(108, 48)} in the opaque half`);
  ok('downloads, alpha', `${line}; alpha ${alphaAt(20, 48)} / ${alphaAt(108, 48)} in the two halves`);

  ok('model file', await chooseModelFile(page, MODEL, resolve(CASE, 'input.png')));
  ok('cancel', await checkCancel(page));
  ok('against PyTorch', await checkAgainstPyTorch(page, resolve(CASE, 'expected.png')));
  await take('model-file');
  for (const line of await checkNoWebGpuAdvice(page, url, shot('no-webgpu'))) ok('no WebGPU', line);
  console.log(`screenshots ${shot('*')}`);
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
      await scenario(page, url, (step) => resolve(RESULTS, `browser-${backend}-${step}.png`), profiles[profiles.length - 1]);
      console.log(`ok   train: ${await checkTraining(context, url)}`);
      for (const line of await checkFinetune(context, url, (step) => resolve(RESULTS, `browser-${backend}-${step}.png`))) ok('fine-tune', line);
      console.log(`ok   kernels: ${await checkKernels(context, url)}`);
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
