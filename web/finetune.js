// The fine-tune panel: trains the model chosen above on a few photos, on the page's own WebGPU
// device (createTrainer), with a live loss curve; then shows the held-out crop as bicubic |
// before | after and offers the trained weights as .safetensors (the input's key layout, which
// wgsr and Real-ESRGAN/BasicSR read). Steps are awaited one by one and the page repaints
// between them, so the page stays responsive and Stop takes effect after the current step.
import { createPatchSampler, createTrainer, createUpscaler, imageFromSource, imageToCanvas, isWgsrError, memorySource, WgsrError } from '/dist/index.js';
import { bicubicUp, heldOutPsnr, preparePhotos } from './finetune-data.js';
import { acceptDrops, saveBlob } from './download.js';
import { LossChart } from './loss-chart.js';

/** Fixed, so the same photos and settings give the same batches (the sampler is seeded). */
const SEED = 0;
/** Adam with BasicSR's betas for Real-ESRGAN fine-tuning (train_realesrnet_x4plus.yml). */
const BETAS = [0.9, 0.99];
/** How the training LR is made: the bicubic downscale, or Real-ESRGAN's degradations. */
const DEGRADE_MODES = ['bicubic', 'realesrgan'];
/**
 * With degradations, the share of samples kept on the clean bicubic LR, so the model still
 * leaves clean photos sharp (wgsr train --clean-prob; the bundled denoising partner's 0.5).
 */
const CLEAN_PROB = 0.5;

const $ = (id) => document.getElementById(id);
/**
 * Yields to the event loop (clicks, repaints). Not requestAnimationFrame, which stops in a hidden
 * tab, nor setTimeout, which is throttled there: training goes on while the tab is in the background.
 */
function yieldToPage() {
  const channel = new MessageChannel();
  return new Promise((done) => {
    channel.port1.onmessage = () => done();
    channel.port2.postMessage(undefined);
  });
}

/** Waits until the status line has been painted (a frame, or 100 ms in a hidden tab): before a long synchronous step. */
const painted = () => new Promise((done) => {
  requestAnimationFrame(() => setTimeout(done, 0));
  setTimeout(done, 100);
});

/** A whole number in [min, max] from an input, or a clear error naming the field. */
function wholeNumber(input, label, min, max) {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < min || v > max) throw new WgsrError('BAD_ARGUMENT', `${label} must be a whole number from ${min} to ${max}, got "${input.value}".`);
  return v;
}

function readSettings(ui) {
  const lr = Number(ui.rate.value);
  if (!(lr > 0 && lr <= 0.1)) throw new WgsrError('BAD_ARGUMENT', `The learning rate must be a number above 0 and at most 0.1 (1e-4 is usual for fine-tuning), got "${ui.rate.value}".`);
  const degrade = ui.degrade.value;
  if (!DEGRADE_MODES.includes(degrade)) throw new WgsrError('BAD_ARGUMENT', `Inputs must be one of ${DEGRADE_MODES.join(', ')}, got "${degrade}".`);
  return { steps: wholeNumber(ui.steps, 'Steps', 1, 100_000), batch: wholeNumber(ui.batch, 'Batch', 1, 64), patch: wholeNumber(ui.patch, 'Patch', 4, 256), lr, degrade };
}

/** A canvas with a caption, for the preview row. */
function figure(title, image, psnr) {
  const box = document.createElement('figure');
  const canvas = imageToCanvas(image);
  const caption = document.createElement('figcaption');
  caption.textContent = psnr === undefined ? title : `${title} · ${psnr.toFixed(2)} dB`;
  box.append(canvas, caption);
  return box;
}

/**
 * Wires the panel. `host`: { device() → GPUDevice | undefined, model() → Promise<{ upscaler,
 * bytes, source } | undefined> } — the page's device and the model chosen above.
 */
export function setupFinetune(host) {
  const ui = Object.fromEntries(['drop', 'files', 'photos', 'steps', 'batch', 'patch', 'rate', 'degrade', 'train', 'stop', 'progress', 'status', 'message', 'chart', 'preview', 'download', 'result'].map((k) => [k, $(`ft-${k}`)]));
  const chart = new LossChart(ui.chart);
  const state = { photos: [], running: false, stopAsked: false, trained: undefined };

  const setState = (name, status) => {
    document.body.dataset.finetune = name;
    if (status !== undefined) ui.status.textContent = status;
  };
  const say = (text) => {
    ui.message.textContent = text;
    ui.message.hidden = !text;
  };
  const sayError = (e) => {
    say(isWgsrError(e) ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e));
    setState('error', 'Not trained — see the message.');
    if (!isWgsrError(e)) console.error(e);
  };
  const updateButtons = () => {
    ui.train.disabled = state.running || !host.device();
    ui.stop.disabled = !state.running;
    ui.download.disabled = state.running || !state.trained;
    for (const el of [ui.files, ui.steps, ui.batch, ui.patch, ui.rate, ui.degrade]) el.disabled = state.running;
  };

  async function takePhotos(files) {
    say('');
    const list = [...files].filter((f) => !/\.(pth|pt|safetensors|param|bin)$/i.test(f.name));
    const photos = [];
    for (const file of list) photos.push({ name: file.name, image: await imageFromSource(file, file.name) });
    state.photos = photos;
    ui.photos.textContent = photos.length
      ? photos.map((p, i) => `${p.name} ${p.image.width}×${p.image.height}${i === 0 ? ' (held-out crop: its right edge)' : ''}`).join(' · ')
      : 'No photos yet.';
  }

  async function train() {
    say('');
    const device = host.device();
    if (!device) throw new WgsrError('NO_GPU', 'Fine-tuning needs WebGPU, and this page has no WebGPU device (see the message at the top).');
    const settings = readSettings(ui);
    state.running = true;
    state.stopAsked = false;
    state.trained = undefined;
    ui.preview.replaceChildren();
    ui.result.textContent = '';
    updateButtons();
    let trainer;
    let after;
    try {
      setState('preparing', 'Loading the model…');
      const model = await host.model();
      if (!model) throw new WgsrError('BAD_ARGUMENT', 'Choose a model above first (or its file, for "a model file of my own").');
      const { scale } = model.upscaler.info;
      const degraded = settings.degrade === 'realesrgan';
      const { pairs, heldOut } = await preparePhotos(state.photos, { scale, patch: settings.patch, degrade: settings.degrade, seed: SEED }, async (i, n) => {
        setState('preparing', `Making LR images by bicubic downscale: photo ${i + 1} of ${n}…`);
        await painted();
      });
      // "Before" by the untrained weights in f32, as the trainer computes (the model above may run in f16).
      const before = await createUpscaler(model.bytes, { device, source: model.source });
      const bicubic = bicubicUp(heldOut, scale);
      let beforeImage;
      try {
        beforeImage = await before.upscale(heldOut.lr);
      } finally {
        before.destroy();
      }
      ui.preview.append(figure('bicubic', bicubic, heldOutPsnr(bicubic, heldOut, scale)), figure('before', beforeImage, heldOutPsnr(beforeImage, heldOut, scale)));

      trainer = await createTrainer(model.bytes, { device, source: model.source, loss: 'l1', optimizer: { name: 'adam', lr: settings.lr, betas: BETAS } });
      // The degradations are made here, on the page's thread, per batch (a few hundredths of a second for a small batch).
      const sampler = createPatchSampler(memorySource(pairs), { scale, patch: settings.patch, batchSize: settings.batch, seed: SEED, degrade: settings.degrade, ...(degraded && { cleanProb: CLEAN_PROB }) });
      chart.reset(settings.steps);
      ui.progress.max = settings.steps;
      ui.progress.value = 0;
      const started = performance.now();
      for (let step = 1; step <= settings.steps && !state.stopAsked; step++) {
        const { lr, hr } = await sampler.next();
        chart.add(await trainer.step(lr, hr));
        ui.progress.value = step;
        const perStep = (performance.now() - started) / 1000 / step;
        setState('training', `Step ${step} of ${settings.steps} · ${perStep.toFixed(2)} s a step · about ${Math.ceil(perStep * (settings.steps - step))} s left`);
        await yieldToPage(); // repaint the curve, take clicks (Stop)
      }
      const seconds = (performance.now() - started) / 1000;
      if (trainer.steps === 0) {
        setState('stopped', 'Stopped before the first step: nothing was trained.');
        return;
      }
      const bytes = await trainer.save('safetensors');
      after = await createUpscaler(bytes, { device, source: 'the fine-tuned weights' });
      const afterImage = await after.upscale(heldOut.lr);
      ui.preview.append(figure('after', afterImage, heldOutPsnr(afterImage, heldOut, scale)));
      const stem = model.source.replace(/\.[^.]*$/, '') || 'model';
      state.trained = { bytes, name: `${stem}-finetuned.safetensors` };
      const steps = trainer.steps;
      ui.result.textContent = `${state.trained.name}: ${(bytes.length / 1024).toFixed(0)} KB, ${steps} steps, ${trainer.trainable.length} tensors trained`;
      const input = degraded ? ', its input degraded as the training inputs are' : '';
      setState(state.stopAsked ? 'stopped' : 'done', `${state.stopAsked ? 'Stopped' : 'Done'} after ${steps} step${steps === 1 ? '' : 's'} in ${seconds.toFixed(1)} s. Held-out crop: ${heldOut.hr.width}×${heldOut.hr.height} from the right edge of ${heldOut.name}${input}.`);
    } finally {
      trainer?.destroy();
      after?.destroy();
      state.running = false;
      updateButtons();
    }
  }

  function download() {
    saveBlob(new Blob([state.trained.bytes], { type: 'application/octet-stream' }), state.trained.name);
  }

  acceptDrops(ui.drop, (files) => {
    if (!state.running) takePhotos(files).catch(sayError);
  });
  ui.files.addEventListener('change', () => takePhotos(ui.files.files).catch(sayError));
  ui.train.addEventListener('click', () => train().catch(sayError));
  ui.stop.addEventListener('click', () => {
    state.stopAsked = true;
    setState('training', 'Stopping after this step…');
  });
  ui.download.addEventListener('click', download);
  setState('idle', 'Add photos, then Train.');
  updateButtons();
  return {
    /** The page found its WebGPU device (Train is enabled), or has none (`reason`: why). */
    gpuChanged(reason) {
      updateButtons();
      if (!host.device()) setState('error', `Fine-tuning needs WebGPU: ${reason ?? 'this page has no device'}.`);
    },
  };
}
