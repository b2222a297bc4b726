// The training half of the browser test (test/browser/run.mjs): createTrainer from the built
// core, with the page's own navigator.gpu device, runs the steps the test passes in and returns
// their losses. Not linked from the app; it only exists for the test.
import { createTrainer } from '/dist/index.js';

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
document.body.dataset.state = 'ready';
