// wgsr's trainer (createTrainer from the built package) on a Dawn device of its own.
import { distImport } from '../lib/dist.mjs';
import { measurePeak } from '../peak.mjs';

const { createTrainer } = await distImport('index.js');
const { createServerDevice } = await distImport('runtime/node.js');

export const label = 'wgsr';

let device;

export async function start() {
  const made = await createServerDevice();
  device = made.device;
  return { adapter: made.adapter.summary };
}

export async function load(name, modelBytes, { lr, betas, eps }) {
  // BENCH_TRAIN_KERNELS: the conv kernels (heuristic, register-tile, gemm, auto), as wgsr train --kernels.
  const kernels = process.env.BENCH_TRAIN_KERNELS ?? 'heuristic';
  const trainer = await createTrainer(modelBytes, { device, loss: 'l1', optimizer: { name: 'adam', lr, betas, eps }, kernels });
  return {
    step: (lrBatch, hrBatch) => trainer.step(lrBatch, hrBatch),
    upload: (batch) => batch,
    /** One more step with every dispatch timed, the memory it planned, and the adapter's FMA peak. */
    async details(batch) {
      const [n, , h, w] = batch.lr.shape;
      const profile = await trainer.profile(batch.lr, batch.hr);
      return { profile: profile.calls, memory: trainer.memory(n, h, w), peak: await measurePeak(device), kernels: trainer.kernels };
    },
    destroy: () => trainer.destroy(),
  };
}
