// The training half of the browser test (test/browser/run.mjs): createTrainer from the built
// core, with the page's own navigator.gpu device, runs the steps the test passes in and returns
// their losses. Not linked from the app; it only exists for the test.
import { createTrainer, createUpscaler, offeredConvVariants } from '/dist/index.js';

const log = (line) => (document.getElementById('log').textContent += `${line}\n`);

/**
 * @param {{ model: number[], loss: 'l1' | 'mse', optimizer: object,
 *           steps: { lrShape: number[], lr: number[], hrShape: number[], hr: number[] }[] }} job
 */
window.trainCheck = async (job) => {
  const trainer = await createTrainer(new Uint8Array(job.model), { loss: job.loss, optimizer: job.optimizer, source: 'the test model' });
  try {
    const losses = [];
    for (const s of job.steps) {
      losses.push(await trainer.step({ shape: s.lrShape, data: Float32Array.from(s.lr) }, { shape: s.hrShape, data: Float32Array.from(s.hr) }));
      log(`step ${losses.length}: loss ${losses.at(-1)}`);
    }
    return { losses, adapter: trainer.adapter?.summary ?? '' };
  } finally {
    trainer.destroy();
  }
};

/**
 * The conv kernel variants (test/browser/kernel-checks.mjs): one forward of the model per variant
 * the page's adapter offers, and with kernels 'auto', at f32 (and f16 where the adapter has
 * shader-f16), each returned with what ran, for the test to compare with PyTorch's output.
 * @param {{ model: number[], shape: number[], input: number[] }} job
 */
window.kernelCheck = async (job) => {
  // As the library asks: a core adapter, else a compatibility one (OpenGL ES backends).
  const adapter = (await navigator.gpu.requestAdapter()) ?? (await navigator.gpu.requestAdapter({ featureLevel: 'compatibility' }));
  const features = adapter.features;
  const results = [];
  for (const precision of features.has('shader-f16') ? ['f32', 'f16'] : ['f32']) {
    // The variants as the adapter offers them (the upscaler's own device has the same features).
    const names = offeredConvVariants({ features }, precision).map((v) => v.name);
    for (const kernels of [...names, 'auto']) {
      const warnings = [];
      const up = await createUpscaler(new Uint8Array(job.model), { precision, kernels, onWarning: (m) => warnings.push(m) });
      try {
        const out = await up.forward({ shape: job.shape, data: Float32Array.from(job.input) });
        results.push({ precision: up.precision, kernels, ran: up.kernels, output: [...out.data], warnings });
        log(`${kernels} ${precision}: ${up.kernels}`);
      } finally {
        up.destroy();
      }
    }
  }
  return { results, adapter: `${adapter.info?.description || adapter.info?.vendor || ''}` };
};
document.body.dataset.state = 'ready';
