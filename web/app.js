// The web page: the bundled model is ready at load (or a model file of one's own), the chosen
// image shows at once, Upscale runs wgsr on this browser's WebGPU, the result is compared with
// the input on a split line and saved as PNG, JPEG or WebP. Plain ES modules; the library comes
// from the built package (dist/).
import { createUpscaler, imageFromSource, imageToCanvas, isWgsrError, requestWgsrDevice } from '/dist/index.js';
import { noWebGpuAdvice } from './advice.js';
import { acceptDrops, encodeResult, FORMATS, hasAlpha, resultName, saveBlob } from './download.js';
import { setupFinetune } from './finetune.js';
import { BUNDLED, bundledModel, fetchModel, modelEntry, modelFromFiles, NAMED_MODELS } from './models.js';
import { CompareView } from './view.js';

/** The largest workgroup wgsr dispatches: conv2d 8×8, the pixel kernels 16×4, the self-test 64. */
const NEEDED_INVOCATIONS = 64;

const $ = (id) => document.getElementById(id);
const ui = Object.fromEntries(
  ['adapter', 'adapter-details', 'drop', 'image-file', 'model', 'named-models', 'model-file', 'model-status', 'denoise', 'denoise-label', 'denoise-value', 'tile', 'precision', 'run', 'cancel', 'progress', 'status', 'error', 'view', 'format', 'quality', 'quality-label', 'download', 'result-info', 'format-note'].map((id) => [
    id.replace(/-(\w)/g, (_, c) => c.toUpperCase()),
    $(id),
  ]),
);
const view = new CompareView({ viewport: $('viewport'), stage: $('stage'), before: $('before'), after: $('after'), split: $('split'), zoom: $('zoom'), caption: $('caption'), hint: $('hint') });

const state = {
  gpu: undefined, // { device, adapter, features } from requestWgsrDevice
  model: undefined, // { key, promise, file } of the upscaler built for the current choice (file: its { bytes, source })
  input: undefined, // { name, image, canvas }
  result: undefined, // { image, scale, name }
  running: undefined, // the AbortController of the run in progress
  builds: 0, // upscalers built so far (read by test/browser/run.mjs: a model is built once)
  scale: 4, // the current model's scale (the preview is shown at the result's size)
};

/** The page's state, also read by test/browser/run.mjs: loading, ready, running, done, cancelled, error. */
function setState(name, message) {
  document.body.dataset.state = name;
  if (message !== undefined) ui.status.textContent = message;
}

function setModelStatus(name, message) {
  document.body.dataset.model = name;
  ui.modelStatus.dataset.state = name;
  ui.modelStatus.textContent = message;
}

/** An error replaces any result: a stale picture must not sit under a new failure. */
function showError(e) {
  // WgsrError messages are written for people (what, where, what to do); other errors keep their name when it says something.
  const text = isWgsrError(e) ? `${e.message} (${e.code})` : e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : String(e);
  clearResult();
  ui.error.textContent = text;
  ui.error.classList.add('shown');
  setState('error', 'Failed — see the message below.');
  console.error(e);
}

function clearError() {
  ui.error.textContent = '';
  ui.error.classList.remove('shown');
}

function clearResult() {
  state.result = undefined;
  ui.download.disabled = true;
  ui.resultInfo.textContent = '';
  ui.formatNote.textContent = '';
  // Shown first: the preview is sized from the viewport's width, which is 0 while it is hidden.
  ui.view.hidden = !state.input;
  view.showPreview(state.input?.canvas, state.scale);
}

window.addEventListener('error', (event) => {
  // Chromium reports a ResizeObserver that had to wait a frame as an error; it is harmless.
  if (!event.error && /ResizeObserver loop/.test(event.message)) return;
  showError(event.error ?? event.message);
});
window.addEventListener('unhandledrejection', (event) => showError(event.reason));

async function initGpu() {
  setState('loading');
  if (!navigator.gpu) throw new Error(noWebGpuAdvice(navigator.userAgent, { hasApi: false, secure: window.isSecureContext }));
  try {
    // Asks for a core adapter, then for featureLevel 'compatibility' (OpenGL ES backends), raises
    // the limits to the adapter's and self-tests the device before it is used.
    state.gpu = await requestWgsrDevice(navigator.gpu);
  } catch (e) {
    if (isWgsrError(e) && e.code === 'NO_GPU') throw new Error(noWebGpuAdvice(navigator.userAgent, { hasApi: true, secure: window.isSecureContext }));
    throw e;
  }
  const { device, adapter, features } = state.gpu;
  const limits = device.limits;
  ui.adapter.textContent = adapter.summary;
  ui.adapterDetails.textContent = [
    device.features.has('core-features-and-limits') ? 'core WebGPU' : 'compatibility mode',
    adapter.isFallbackAdapter ? 'software fallback' : '',
    `workgroup ≤ ${limits.maxComputeInvocationsPerWorkgroup} invocations`,
    `storage binding ≤ ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`,
    features.shaderF16 ? 'shader-f16' : 'no shader-f16',
  ]
    .filter(Boolean)
    .join(' · ');
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') showError(new Error(`The GPU device was lost (${info.reason}): ${info.message}. Reload the page.`));
  });
  if (limits.maxComputeInvocationsPerWorkgroup < NEEDED_INVOCATIONS) {
    throw new Error(`This adapter allows ${limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup; wgsr's kernels need ${NEEDED_INVOCATIONS}. Try another browser or GPU.`);
  }
  if (!features.shaderF16) ui.precision.querySelector('option[value="f16"]').disabled = true;
  setState('ready', 'Choose an image.');
}

/** The bundled model's denoise strength (0..1); the slider shows only for the bundled model. */
function denoiseStrength() {
  return ui.model.value === BUNDLED.id ? Number(ui.denoise.value) : 0;
}

/** The picked model, strength and precision as a cache key; undefined while "a file of my own" has no file. */
function modelKey() {
  const precision = ui.precision.value;
  if (ui.model.value !== 'file') return `${ui.model.value}|${denoiseStrength()}|${precision}`;
  const files = [...(ui.modelFile.files ?? [])];
  return files.length ? `file|${files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join(',')}|${precision}` : undefined;
}

/** The upscaler for the picked model, built once per model and precision and reused by every run. */
function currentModel() {
  const key = modelKey();
  if (!key) return undefined;
  if (state.model?.key === key) {
    // Back to the model already built (after a look at "a file of my own"): say it is ready again.
    if (state.model.ready) setModelStatus('ready', state.model.ready);
    return state.model.promise;
  }
  const previous = state.model?.promise;
  previous?.then((up) => up.destroy()).catch(() => {});
  const precision = ui.precision.value;
  const fromFile = ui.model.value === 'file';
  const entry = fromFile ? undefined : modelEntry(ui.model.value);
  const strength = denoiseStrength();
  // The file's bytes are kept: the fine-tune panel trains the very model the upscaler was built from.
  const file = (async () => {
    if (fromFile) return modelFromFiles(ui.modelFile.files);
    if (entry === BUNDLED) return bundledModel(strength);
    return { bytes: await fetchModel(entry), source: entry.source };
  })();
  const promise = (async () => {
    setModelStatus('loading', `Loading ${entry?.label ?? 'the model file'}${strength ? ` at denoise ${strength}` : ''}…`);
    const { bytes, source } = await file;
    const up = await createUpscaler(bytes, { device: state.gpu.device, source, precision, onWarning: (m) => console.warn(`wgsr: ${m}`) });
    state.builds++;
    document.body.dataset.modelBuilds = String(state.builds);
    state.scale = up.info.scale;
    if (!state.result) view.showPreview(state.input?.canvas, state.scale);
    const ready = `${up.info.arch} ×${up.info.scale} (${up.precision}${strength ? `, denoise ${strength}` : ''}), ready`;
    if (state.model?.key === key) state.model.ready = ready;
    setModelStatus('ready', ready);
    return up;
  })();
  state.model = { key, promise, file };
  promise.catch((e) => {
    if (state.model?.key === key) state.model = undefined;
    setModelStatus('error', 'Not loaded — see the message below.');
    showError(e);
  });
  return promise;
}

function updateButtons() {
  const busy = state.running !== undefined;
  ui.run.disabled = !state.gpu || busy || !state.input || !modelKey();
  ui.cancel.disabled = !busy;
  ui.model.disabled = ui.denoise.disabled = ui.precision.disabled = ui.imageFile.disabled = busy;
}

/** The chosen image, decoded by the browser and shown at once. */
async function takeImage(file) {
  clearError();
  const image = await imageFromSource(file, file.name);
  state.input = { name: file.name, image, canvas: imageToCanvas(image) };
  clearResult();
  if (document.body.dataset.state !== 'loading') setState('ready', `${file.name}: ${image.width}×${image.height}${hasAlpha(image) ? ', with alpha' : ''}. Ready to upscale.`);
  updateButtons();
}

async function run() {
  clearError();
  clearResult();
  const tile = Number(ui.tile.value);
  if (!Number.isInteger(tile) || tile < 0) throw new Error(`Tile size must be a whole number ≥ 0, got "${ui.tile.value}".`);
  state.running = new AbortController();
  const { signal } = state.running;
  updateButtons();
  ui.progress.value = 0;
  ui.progress.removeAttribute('max');
  const started = performance.now();
  try {
    setState('running', 'Loading the model…');
    const up = await currentModel();
    const { input } = state;
    setState('running', `${up.info.arch} ×${up.info.scale}: upscaling ${input.image.width}×${input.image.height}…`);
    const onProgress = (done, total) => {
      ui.progress.max = total;
      ui.progress.value = done;
      setState('running', `Tile ${done}/${total}`);
    };
    const out = await up.upscale(input.image, { tile, signal, onProgress });
    const seconds = (performance.now() - started) / 1000;
    state.result = { image: out, scale: up.info.scale, name: input.name };
    view.showResult(input.canvas, imageToCanvas(out));
    ui.download.disabled = false;
    ui.resultInfo.textContent = `${input.image.width}×${input.image.height} → ${out.width}×${out.height}, ${up.info.arch} ×${up.info.scale}, ${seconds.toFixed(1)} s`;
    updateFormatNote();
    setState('done', `Done in ${seconds.toFixed(1)} s.`);
  } catch (e) {
    if (isWgsrError(e) && e.code === 'ABORTED') setState('cancelled', 'Cancelled.');
    else throw e;
  } finally {
    state.running = undefined;
    if (!ui.progress.hasAttribute('max')) ui.progress.max = 1;
    updateButtons();
  }
}

function updateFormatNote() {
  const format = ui.format.value;
  ui.qualityLabel.hidden = !FORMATS[format].lossy;
  const image = state.result?.image;
  if (!image) return;
  ui.formatNote.textContent = !hasAlpha(image)
    ? 'The result is opaque: saved without an alpha channel.'
    : format === 'jpeg'
      ? 'JPEG has no alpha: transparent areas are saved as white. PNG or WebP keep the transparency.'
      : 'The result has transparency, and keeps it.';
}

async function download() {
  const { image, scale, name } = state.result;
  const format = ui.format.value;
  const quality = Number(ui.quality.value);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`Quality must be a whole number from 1 to 100, got "${ui.quality.value}".`);
  saveBlob(await encodeResult(image, format, quality), resultName(name, scale, format));
}

/** Dropped files: model files (.pth, .pt, .safetensors, .param, .bin) choose "a file of my own"; an image is the image. */
function takeDroppedFiles(files) {
  const models = [...files].filter((f) => /\.(pth|pt|safetensors|param|bin)$/i.test(f.name));
  const image = [...files].find((f) => !models.includes(f));
  if (models.length) {
    const list = new DataTransfer();
    for (const f of models) list.items.add(f);
    ui.modelFile.files = list.files;
    ui.model.value = 'file';
    modelChanged();
  }
  if (image) takeImage(image).catch(showError);
}

function modelChanged() {
  ui.modelFile.hidden = ui.model.value !== 'file';
  ui.denoiseLabel.hidden = ui.model.value !== BUNDLED.id;
  clearError();
  if (state.gpu) currentModel();
  else setModelStatus('loading', 'Waiting for WebGPU…');
  if (ui.model.value === 'file' && !modelKey()) setModelStatus('none', 'Choose a .pth, .pt or .safetensors file, or an ncnn .param with its .bin.');
  updateButtons();
}

function wire() {
  for (const entry of NAMED_MODELS) ui.namedModels.append(new Option(entry.label, entry.id));
  ui.namedModels.hidden = NAMED_MODELS.length === 0;
  ui.model.querySelector(`option[value="${BUNDLED.id}"]`).textContent = BUNDLED.label;
  acceptDrops(ui.drop, takeDroppedFiles);
  ui.imageFile.addEventListener('change', () => ui.imageFile.files[0] && takeImage(ui.imageFile.files[0]).catch(showError));
  ui.model.addEventListener('change', modelChanged);
  ui.modelFile.addEventListener('change', modelChanged);
  // The number follows the slider as it moves; the model is rebuilt once it is let go.
  ui.denoise.addEventListener('input', () => (ui.denoiseValue.textContent = ui.denoise.value));
  ui.denoise.addEventListener('change', modelChanged);
  ui.precision.addEventListener('change', modelChanged);
  ui.format.addEventListener('change', updateFormatNote);
  ui.run.addEventListener('click', () => run().catch(showError));
  ui.cancel.addEventListener('click', () => {
    state.running?.abort();
    setState('running', 'Cancelling after the current tile…');
  });
  ui.download.addEventListener('click', () => download().catch(showError));
}

wire();
updateFormatNote();
const finetune = setupFinetune({
  device: () => state.gpu?.device,
  /** The model chosen above, built: { upscaler, bytes, source }; undefined while none is chosen. */
  model: async () => {
    const upscaler = currentModel();
    if (!upscaler) return undefined;
    const { file } = state.model;
    return { upscaler: await upscaler, ...(await file) };
  },
});
initGpu()
  .then(() => {
    modelChanged();
    updateButtons();
    finetune.gpuChanged();
  })
  .catch((e) => {
    finetune.gpuChanged('see the message above');
    ui.adapter.textContent = state.gpu ? state.gpu.adapter.summary : 'none';
    setModelStatus('none', '');
    showError(e);
  });
