// The web page: picks an image and a model, upscales with wgsr on this browser's WebGPU, shows
// before/after and offers the PNG. Plain ES modules; the library comes from the built package.
import { createUpscaler, isWgsrError, requestWgsrDevice } from '/dist/index.js';

/** The largest workgroup wgsr dispatches: conv2d 8×8, the pixel kernels 16×4, the self-test 64. */
const NEEDED_INVOCATIONS = 64;

const $ = (id) => document.getElementById(id);
const ui = {
  adapter: $('adapter'),
  adapterDetails: $('adapter-details'),
  drop: $('drop'),
  imageFile: $('image-file'),
  modelFile: $('model-file'),
  tile: $('tile'),
  precision: $('precision'),
  run: $('run'),
  cancel: $('cancel'),
  progress: $('progress'),
  status: $('status'),
  error: $('error'),
  result: $('result'),
  after: $('after'),
  before: $('before'),
  slider: $('slider'),
  download: $('download'),
  resultInfo: $('result-info'),
};

/** The page's state, also read by test/browser/run.mjs: loading, ready, running, done, cancelled, error. */
function setState(state, message) {
  document.body.dataset.state = state;
  if (message !== undefined) ui.status.textContent = message;
}

function showError(e) {
  // WgsrError messages are written for people (what, where, what to do); anything else gets its name.
  // Other errors keep their name when it says something (TypeError, OperationError, …).
  const text = isWgsrError(e)
    ? `${e.message} (${e.code})`
    : e instanceof Error
      ? e.name === 'Error'
        ? e.message
        : `${e.name}: ${e.message}`
      : String(e);
  ui.error.textContent = text;
  ui.error.classList.add('shown');
  setState('error', 'Failed — see the message below.');
  console.error(e);
}

function clearError() {
  ui.error.textContent = '';
  ui.error.classList.remove('shown');
}

window.addEventListener('error', (event) => showError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(event.reason));

let gpu; // { device, adapter, features } from requestWgsrDevice
let running; // the AbortController of the run in progress
let downloadUrl;

async function initGpu() {
  setState('loading');
  if (!navigator.gpu) {
    throw new Error(
      'This browser exposes no WebGPU (navigator.gpu is undefined). Use a recent Chrome, Edge or Firefox, ' +
        'serve the page over http://localhost or https, and check that WebGPU is enabled.',
    );
  }
  // requestWgsrDevice asks for a core adapter, then for featureLevel 'compatibility' (OpenGL ES
  // backends), raises the limits to the adapter's and self-tests the device before we use it.
  gpu = await requestWgsrDevice(navigator.gpu);
  const { device, adapter, features } = gpu;
  const compat = !device.features.has('core-features-and-limits');
  ui.adapter.textContent = adapter.summary;
  const limits = device.limits;
  ui.adapterDetails.textContent = [
    compat ? 'compatibility mode' : 'core WebGPU',
    adapter.isFallbackAdapter ? 'software fallback' : '',
    `workgroup ≤ ${limits.maxComputeInvocationsPerWorkgroup} invocations`,
    `storage binding ≤ ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`,
    `${limits.maxStorageBuffersPerShaderStage} storage buffers per stage`,
    features.shaderF16 ? 'shader-f16' : 'no shader-f16',
  ]
    .filter(Boolean)
    .join(' · ');
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') showError(new Error(`The GPU device was lost (${info.reason}): ${info.message}. Reload the page.`));
  });
  if (limits.maxComputeInvocationsPerWorkgroup < NEEDED_INVOCATIONS) {
    throw new Error(
      `This adapter allows ${limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup; ` +
        `wgsr's kernels need ${NEEDED_INVOCATIONS}. Try another browser or GPU.`,
    );
  }
  if (!features.shaderF16) {
    ui.precision.querySelector('option[value="f16"]').disabled = true;
  }
  setState('ready', 'Choose an image and a model.');
  updateRunButton();
}

function updateRunButton() {
  ui.run.disabled = !gpu || running !== undefined || !ui.imageFile.files?.length || !ui.modelFile.files?.length;
  if (!ui.run.disabled && document.body.dataset.state === 'ready') ui.status.textContent = 'Ready.';
}

/**
 * A wgsr Image from a browser-decoded file: RGBA from the canvas, or RGB when every alpha is 255
 * (so wgsr skips its alpha pass). Decoded without colour-space conversion or premultiplication so
 * the values are the file's own.
 */
async function decodeImage(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`${file.name}: this browser cannot decode it as an image (${e instanceof Error ? e.message : e}).`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const { width, height } = canvas;
  if (!opaque) return { width, height, channels: 4, bitDepth: 8, data: new Uint8Array(rgba.buffer.slice(0)) };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p];
    rgb[q + 1] = rgba[p + 1];
    rgb[q + 2] = rgba[p + 2];
  }
  return { width, height, channels: 3, bitDepth: 8, data: rgb };
}

/** RGBA ImageData from a wgsr Image (8-bit, 3 or 4 channels: what upscale returns for our inputs). */
function toImageData(image) {
  const { width, height, channels, data } = image;
  if (image.bitDepth !== 8 || (channels !== 3 && channels !== 4)) {
    throw new Error(`unexpected result layout: ${channels} channels, ${image.bitDepth}-bit`);
  }
  if (channels === 4) return new ImageData(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
    rgba[p] = data[q];
    rgba[p + 1] = data[q + 1];
    rgba[p + 2] = data[q + 2];
    rgba[p + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}

function showInput(image) {
  ui.before.width = image.width;
  ui.before.height = image.height;
  ui.before.getContext('2d').putImageData(toImageData(image), 0, 0);
}

function setSplit() {
  // The input covers the left part, up to the slider; the result shows to its right.
  ui.before.style.clipPath = `inset(0 ${100 - Number(ui.slider.value)}% 0 0)`;
}

async function run() {
  clearError();
  const imageFile = ui.imageFile.files[0];
  const modelFile = ui.modelFile.files[0];
  const tile = Number(ui.tile.value);
  if (!Number.isInteger(tile) || tile < 0) throw new Error(`Tile size must be a whole number ≥ 0, got "${ui.tile.value}".`);
  running = new AbortController();
  const { signal } = running;
  ui.cancel.disabled = false;
  updateRunButton();
  ui.progress.value = 0;
  ui.progress.removeAttribute('max');
  ui.download.setAttribute('aria-disabled', 'true');
  let upscaler;
  const started = performance.now();
  try {
    setState('running', `Reading ${imageFile.name} and ${modelFile.name}…`);
    const [image, bytes] = await Promise.all([decodeImage(imageFile), modelFile.arrayBuffer().then((b) => new Uint8Array(b))]);
    setState('running', `Building the network from ${modelFile.name}…`);
    upscaler = await createUpscaler(bytes, {
      device: gpu.device,
      source: modelFile.name,
      precision: ui.precision.value,
      tile,
      signal,
      onProgress(done, total) {
        ui.progress.max = total;
        ui.progress.value = done;
        setState('running', `Tile ${done}/${total}`);
      },
    });
    const { arch, scale } = upscaler.info;
    setState('running', `${arch} ×${scale}: upscaling ${image.width}×${image.height}…`);
    const out = await upscaler.upscale(image);
    const seconds = (performance.now() - started) / 1000;

    showInput(image);
    ui.after.width = out.width;
    ui.after.height = out.height;
    ui.after.getContext('2d').putImageData(toImageData(out), 0, 0);
    // Small results are shown enlarged, pixel for pixel, so the comparison is visible at all.
    ui.after.style.width = `${Math.max(out.width, Math.min(3 * out.width, 640))}px`;
    setSplit();
    ui.result.hidden = false;
    const blob = await new Promise((done, fail) =>
      ui.after.toBlob((b) => (b ? done(b) : fail(new Error('The browser could not encode the result as PNG.'))), 'image/png'),
    );
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(blob);
    ui.download.href = downloadUrl;
    ui.download.download = `${imageFile.name.replace(/\.[^.]*$/, '')}_x${scale}.png`;
    ui.download.setAttribute('aria-disabled', 'false');
    ui.resultInfo.textContent = `${image.width}×${image.height} → ${out.width}×${out.height}, ${arch} ×${scale}, ${seconds.toFixed(1)} s`;
    setState('done', `Done in ${seconds.toFixed(1)} s.`);
  } catch (e) {
    if (isWgsrError(e) && e.code === 'ABORTED') setState('cancelled', 'Cancelled.');
    else throw e;
  } finally {
    upscaler?.destroy();
    running = undefined;
    ui.cancel.disabled = true;
    if (!ui.progress.hasAttribute('max')) ui.progress.max = 1;
    updateRunButton();
  }
}

/** Files dropped anywhere on the drop zone: a .pth/.safetensors is the model, anything else the image. */
function takeDroppedFiles(files) {
  for (const file of files) {
    const input = /\.(pth|pt|safetensors)$/i.test(file.name) ? ui.modelFile : ui.imageFile;
    const list = new DataTransfer();
    list.items.add(file);
    input.files = list.files;
  }
  updateRunButton();
}

ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  takeDroppedFiles(e.dataTransfer.files);
});
ui.imageFile.addEventListener('change', updateRunButton);
ui.modelFile.addEventListener('change', updateRunButton);
ui.slider.addEventListener('input', setSplit);
ui.run.addEventListener('click', () => run().catch(showError));
ui.cancel.addEventListener('click', () => {
  running?.abort();
  setState('running', 'Cancelling after the current tile…');
});

initGpu().catch((e) => {
  ui.adapter.textContent = gpu ? gpu.adapter.summary : 'none';
  showError(e);
});
