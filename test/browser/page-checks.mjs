// The checks of the web page with a WebGPU device: each takes the page (ready, bundled model
// loading or loaded) and returns one line for the log, or throws TestFailure.
import { readFileSync } from 'node:fs';
import { decodeImageAsync } from '../../dist/node.js';
import { describeFile, downloadFrom, rgbDifference, shownResult, STEP_TIMEOUT_MS } from './downloads.mjs';

export class TestFailure extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

export const RUN_TIMEOUT_MS = 240_000;

const body = (page, key) => page.evaluate((k) => document.body.dataset[k], key);
const text = async (page, selector) => ((await page.textContent(selector)) ?? '').trim();

/** Starts a run and waits for it to end; returns { state, status }. */
export async function runOnce(page) {
  await page.click('#run', { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout: RUN_TIMEOUT_MS });
  return { state: await body(page, 'state'), status: await text(page, '#status') };
}

async function runToDone(page, what) {
  const end = await runOnce(page);
  if (end.state !== 'done') fail(`${what}: the run ended "${end.state}": ${(await text(page, '#error')) || end.status}`);
}

/** The bundled model is built at load, with no file of one's own, and the picker offers no made-up entries. */
export async function checkDefaultModel(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: RUN_TIMEOUT_MS });
  const status = await text(page, '#model-status');
  if ((await body(page, 'model')) !== 'ready') fail(`the bundled model did not load: ${status}; ${await text(page, '#error')}`);
  if (!/SRVGGNetCompact ×4/.test(status)) fail(`model status "${status}", expected the bundled SRVGGNetCompact ×4`);
  const options = await page.$$eval('#model option:not([hidden])', (all) => all.map((o) => o.value));
  const namedHidden = await page.$eval('#named-models', (g) => g.hidden && g.children.length === 0);
  if (!namedHidden || options.join() !== 'bundled,file') fail(`model picker offers ${options.join(', ')}; expected the bundled model and "a file of my own" only`);
  return status;
}

/** Choosing an image shows it at once, before any run, with nothing to download yet. */
export async function checkPreview(page, imagePath, [width, height]) {
  const t0 = performance.now();
  await page.setInputFiles('#image-file', imagePath, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => document.getElementById('stage').dataset.view === 'preview' && !document.getElementById('stage').hidden, null, { timeout: STEP_TIMEOUT_MS });
  const ms = performance.now() - t0;
  const shown = await page.$eval('#before', (c) => [c.width, c.height]);
  if (shown.join() !== `${width},${height}`) fail(`preview canvas is ${shown.join('×')}, expected the image's ${width}×${height}`);
  if (!(await page.$eval('#download', (b) => b.disabled))) fail('download is enabled before any result');
  const box = await page.$eval('#stage', (s) => s.getBoundingClientRect().width);
  if (box < 100) fail(`preview is ${box} px wide`);
  return `${width}×${height} shown ${ms.toFixed(0)} ms after choosing it, ${Math.round(box)} px wide`;
}

/** A run, then another: the model is built once, not per click. */
export async function checkUpscaleReusesModel(page, [outWidth, outHeight]) {
  const before = Number(await body(page, 'modelBuilds'));
  await runToDone(page, 'bundled model');
  const size = await page.$eval('#after', (c) => [c.width, c.height]);
  if (size.join() !== `${outWidth},${outHeight}`) fail(`result is ${size.join('×')}, expected ${outWidth}×${outHeight}`);
  await runToDone(page, 'bundled model, second run');
  const after = Number(await body(page, 'modelBuilds'));
  if (before !== 1 || after !== 1) fail(`the model was built ${after} times over two runs (${before} before them); expected once`);
  return `${await text(page, '#result-info')}; two runs, model built once`;
}

/** Dragging on the picture moves the split; the line is exactly where the picture is split. */
export async function checkSplit(page, fraction) {
  const stage = await page.$eval('#stage', (s) => s.getBoundingClientRect().toJSON());
  const canvas = await page.$eval('#after', (c) => c.getBoundingClientRect().toJSON());
  if (Math.abs(stage.width - canvas.width) > 0.5 || Math.abs(stage.left - canvas.left) > 0.5) fail(`the picture (${canvas.width} px at ${canvas.left}) is not the stage (${stage.width} px at ${stage.left})`);
  const y = stage.top + stage.height / 2;
  await page.mouse.move(stage.left + stage.width / 2, y);
  await page.mouse.down();
  await page.mouse.move(stage.left + stage.width * fraction, y, { steps: 5 });
  await page.mouse.up();
  const line = await page.$eval('#split', (s) => s.getBoundingClientRect().toJSON());
  const lineX = line.left + line.width / 2;
  const wantX = stage.left + stage.width * fraction;
  const value = Number(await page.$eval('#split', (s) => s.getAttribute('aria-valuenow')));
  const clip = await page.$eval('#before', (c) => c.style.clipPath);
  const wantClip = `inset(0px ${100 - fraction * 100}% 0px 0px)`;
  if (Math.abs(lineX - wantX) > 1.5) fail(`split line at x=${lineX.toFixed(1)}, the pointer left it at ${wantX.toFixed(1)}`);
  if (Math.abs(value - fraction * 100) > 1) fail(`split reports ${value}%, expected ${fraction * 100}%`);
  if (clip.replace(/(\d+\.\d)\d*%/g, '$1%') !== wantClip.replace(/(\d+\.\d)\d*%/g, '$1%')) fail(`before is clipped by "${clip}", expected "${wantClip}"`);
  return `dragged to ${(fraction * 100).toFixed(0)}%: line at ${lineX.toFixed(1)} px (pointer ${wantX.toFixed(1)}), before clipped ${clip}`;
}

/** "Before" is the input enlarged smoothly: nearest-neighbour ×4 repeats each pixel 4 times along a row. */
export async function checkSmoothBefore(page) {
  const repeated = await page.$eval('#before', (c) => {
    const y = Math.floor(c.height / 2);
    const row = c.getContext('2d').getImageData(0, y, c.width, 1).data;
    let same = 0;
    for (let x = 1; x < c.width; x++) if ([0, 1, 2].every((k) => row[x * 4 + k] === row[(x - 1) * 4 + k])) same++;
    return same / (c.width - 1);
  });
  // Nearest ×4: 0.75 of neighbours are equal; a bicubic enlargement of a photo: few.
  if (repeated > 0.3) fail(`"before" repeats ${(repeated * 100).toFixed(0)}% of its pixels along a row: not a smooth enlargement`);
  return `${(repeated * 100).toFixed(1)}% of neighbours equal along a row (nearest ×4 would be 75%)`;
}

/** 1:1 shows the result's own pixels, and dragging pans; Fit returns. */
export async function checkZoomPan(page, [outWidth, outHeight]) {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 600, height: 600 }); // smaller than 800×600 both ways
  try {
    await page.click('#zoom', { timeout: STEP_TIMEOUT_MS });
    const stage = await page.$eval('#stage', (s) => s.getBoundingClientRect().toJSON());
    if (Math.round(stage.width) !== outWidth || Math.round(stage.height) !== outHeight) fail(`1:1 shows ${stage.width}×${stage.height} px, expected ${outWidth}×${outHeight}`);
    const box = await page.$eval('#viewport', (v) => (v.scrollIntoView(), v.getBoundingClientRect().toJSON()));
    const start = await page.$eval('#viewport', (v) => [v.scrollLeft, v.scrollTop]);
    // Press away from the split line (it is at 25%), drag 120 px left and 40 px up (within the scroll range).
    const x = box.left + box.width * 0.8;
    const y = box.top + Math.min(box.height, 300) / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x - 120, y - 40, { steps: 6 });
    await page.mouse.up();
    const end = await page.$eval('#viewport', (v) => [v.scrollLeft, v.scrollTop]);
    if (end[0] - start[0] !== 120 || end[1] - start[1] !== 40) fail(`panning by (120, 40) scrolled (${end[0] - start[0]}, ${end[1] - start[1]})`);
    return { line: `1:1 is ${stage.width}×${stage.height} px; a drag panned by (120, 40)`, restore: () => page.click('#zoom').then(() => page.setViewportSize(viewport)) };
  } catch (e) {
    await page.setViewportSize(viewport);
    throw e;
  }
}

/**
 * Each format downloads as itself; PNG is the shown result exactly; alpha is stored only when the
 * result has it (JPEG flattens it onto white). `expectAlpha`: the result has transparency.
 */
export async function checkDownloads(page, expectAlpha) {
  const shown = await shownResult(page);
  const lines = [];
  let png;
  for (const format of ['png', 'jpeg', 'webp']) {
    await page.selectOption('#format', format, { timeout: STEP_TIMEOUT_MS });
    const { name, bytes } = await downloadFrom(page, '#download');
    const file = describeFile(bytes);
    if (file.format !== format) fail(`${format}: downloaded ${name} is ${file.format} (${file.detail})`);
    const wantAlpha = expectAlpha && format !== 'jpeg';
    if (file.alpha !== wantAlpha) fail(`${format}: ${name} ${file.alpha ? 'stores' : 'has no'} alpha (${file.detail}); the result ${expectAlpha ? 'has' : 'has no'} transparency`);
    const image = await decodeImageAsync(bytes, name);
    if (format === 'png') {
      png = image;
      // The canvas holds opaque pixels exactly (semi-transparent ones premultiplied): compare where it is opaque.
      const diff = rgbDifference(image, shown, shown);
      if (diff.max !== 0 || diff.pixels === 0) fail(`png: differs from the shown result by up to ${diff.max} levels over ${diff.pixels} opaque pixels`);
    } else {
      // Lossy at quality 92: the same picture within a few levels on average (tolerance 4).
      const reference = expectAlpha && format === 'jpeg' ? flattenOnWhite(png) : png;
      const diff = rgbDifference(image, reference);
      if (diff.mean > 4) fail(`${format}: mean difference ${diff.mean.toFixed(2)} levels from the PNG (tolerance 4)`);
      lines.push(`${format} mean |Δ| ${diff.mean.toFixed(2)}`);
    }
    lines.unshift(`${name} ${file.detail}${file.alpha ? ' with alpha' : ''}`);
  }
  return { line: lines.join('; '), png };
}

/** An RGBA image composited onto white, as RGB. */
function flattenOnWhite(image) {
  const { width, height, channels, data } = image;
  if (channels !== 4) return image;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const a = data[p * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(data[p * 4 + c] * a + 255 * (1 - a));
  }
  return { width, height, channels: 3, bitDepth: 8, data: rgb };
}

/** A failure clears the result: no stale picture or download under the error; choosing again clears the error. */
export async function checkErrorClears(page) {
  if ((await body(page, 'state')) !== 'done') fail('error check: expected a result on screen first');
  await page.selectOption('#model', 'file', { timeout: STEP_TIMEOUT_MS });
  await page.setInputFiles('#model-file', { name: 'broken.pth', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model') });
  await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: STEP_TIMEOUT_MS });
  const error = await text(page, '#error');
  if (!/broken\.pth/.test(error) || !/BAD_MODEL/.test(error)) fail(`error "${error}" should name broken.pth and BAD_MODEL`);
  const view = await page.$eval('#stage', (s) => s.dataset.view);
  const downloadable = !(await page.$eval('#download', (b) => b.disabled));
  const info = await text(page, '#result-info');
  if (view !== 'preview' || downloadable || info) fail(`after the error: view "${view}", download ${downloadable ? 'enabled' : 'disabled'}, result info "${info}"; expected the result gone`);
  return { line: `"${error.slice(0, 70)}…"; result cleared, preview kept`, error };
}

/**
 * The bundled model's denoise slider: at 0.5 the page fetches the denoising model beside the
 * default, and its result equals `wgsr upscale --denoise-strength 0.5` of the same photo (±1
 * level; `expectedPath` is that command's output) and differs from strength 0's; the slider shows
 * for the bundled model only; back at 0 the default is used again.
 */
export async function checkDenoiseSlider(page, photoPath, expectedPath) {
  const setStrength = async (value) => {
    await page.$eval('#denoise', (slider, v) => {
      slider.value = v;
      slider.dispatchEvent(new Event('input'));
      slider.dispatchEvent(new Event('change'));
    }, value);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: RUN_TIMEOUT_MS });
    const status = await text(page, '#model-status');
    if ((await body(page, 'model')) !== 'ready') fail(`denoise ${value}: the model did not load: ${status}; ${await text(page, '#error')}`);
    return status;
  };
  await checkPreview(page, photoPath, [200, 150]);
  await runToDone(page, 'denoise 0');
  const plain = await shownResult(page);
  const fetched = page.waitForResponse((r) => r.url().endsWith('/models/default-denoise.safetensors') && r.ok(), { timeout: RUN_TIMEOUT_MS });
  const status = await setStrength('0.5');
  await fetched;
  if (!/SRVGGNetCompact ×4 \(f32, denoise 0\.5\)/.test(status)) fail(`model status "${status}" at denoise 0.5`);
  if ((await text(page, '#denoise-value')) !== '0.5') fail(`the slider's number shows "${await text(page, '#denoise-value')}", expected 0.5`);
  await runToDone(page, 'denoise 0.5');
  const blended = await shownResult(page);
  const want = await decodeImageAsync(readFileSync(expectedPath));
  const cli = rgbDifference(blended, want);
  if (cli.max > 1) fail(`at denoise 0.5 the page's result differs from wgsr upscale --denoise-strength 0.5 by up to ${cli.max} levels (mean ${cli.mean.toFixed(3)})`);
  const apart = rgbDifference(blended, plain);
  if (!(apart.mean > 0.5)) fail(`the result at denoise 0.5 is the default's (mean difference ${apart.mean.toFixed(3)} levels)`);
  await page.selectOption('#model', 'file', { timeout: STEP_TIMEOUT_MS });
  if (!(await page.$eval('#denoise-label', (l) => l.hidden))) fail('the denoise slider shows for a model file of one\'s own');
  await page.selectOption('#model', 'bundled', { timeout: STEP_TIMEOUT_MS });
  await setStrength('0');
  return `${status}; equals wgsr upscale --denoise-strength 0.5 within ${cli.max} level(s), ${apart.mean.toFixed(2)} levels from strength 0 on average`;
}

/** Back to the bundled model: the error goes away. */
export async function checkRecovers(page) {
  await page.selectOption('#model', 'bundled', { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => document.body.dataset.model === 'ready', null, { timeout: RUN_TIMEOUT_MS });
  const shown = await page.$eval('#error', (e) => e.classList.contains('shown'));
  if (shown) fail(`the error stays after choosing the bundled model: ${await text(page, '#error')}`);
  return 'choosing the bundled model again clears the error';
}
