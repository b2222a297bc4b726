import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, type Trainer } from '../../src/trainer.js';
import type { ConvKernelName } from '../../src/kernels/conv2d-variants.js';
import { offeredConvKernels } from '../helpers/conv-kernels.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { modelFixtureDir, SHARED_TRAIN_FIXTURES, TRAIN_FIXTURES } from '../train-reference/fixtures.js';
import { readStateDict, type ModelMeta } from '../train-reference/model-case.js';

/**
 * Whole networks trained on the GPU against PyTorch's float64 runs (test/fixtures/train/models),
 * from the same init.pth and the same batches, with the tolerances:
 * - each step's loss within 1e-4 relative of PyTorch's;
 * - the first step's gradients within 1e-3 of each tensor's largest |ref|, plus 1e-5 of the
 *   largest gradient of the network (a conv followed by BatchNorm has a true bias gradient of 0);
 * - after the last step, every parameter and running statistic within 1e-3 of the distance
 *   PyTorch moved it (‖p − p_ref‖ / ‖p_ref − p_init‖), and every element within steps·lr of
 *   PyTorch's (Adam moves an element by at most about lr per step). A tensor PyTorch did not
 *   move (a conv bias before BatchNorm) must not move either.
 * For scale: PyTorch's own f32 run sits at 1e-7 / 6e-6 / 5e-5 of these.
 */
const LOSS_RTOL = 1e-4;
const GRAD_OF_TENSOR = 1e-3;
const GRAD_OF_NETWORK = 1e-5;
const FINAL_RTOL = 1e-3;

const CASES = ['srvgg_x4_train', 'edsr_x2_train', 'rrdbnet_x4_train', 'srgan_x4_train'];

interface Case {
  dir: string;
  meta: ModelMeta;
  lr: { shape: number[]; data: Float32Array };
  hr: { shape: number[]; data: Float32Array };
}

function loadCase(dir: string): Case {
  return {
    dir,
    meta: JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8')) as ModelMeta,
    lr: readNpy(resolve(dir, 'lr.npy')),
    hr: readNpy(resolve(dir, 'hr.npy')),
  };
}

function batchAt(a: { shape: number[]; data: Float32Array }, s: number) {
  const [, n, c, h, w] = a.shape as [number, number, number, number, number];
  const size = n * c * h * w;
  return { shape: [n, c, h, w] as const, data: a.data.slice(s * size, (s + 1) * size) };
}

async function trainerFor(c: Case, kernels: ConvKernelName): Promise<Trainer> {
  const { device } = await testDevice();
  const o = c.meta.optimizer;
  return createTrainer(readFileSync(resolve(c.dir, 'init.pth')), {
    device,
    kernels,
    loss: c.meta.loss.startsWith('mse') ? 'mse' : 'l1',
    optimizer: { name: 'adam', lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay ?? 0 },
    modelOptions: c.meta.arch === 'EDSR' && c.meta.res_scale !== null ? { resScale: c.meta.res_scale } : undefined,
    source: `${c.meta.name}/init.pth`,
  });
}

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Every conv kernel the test adapter offers runs the forward convs and input gradients of every case. */
const KERNELS = await offeredConvKernels('f32');

for (const kernel of KERNELS) describe(`training whole networks on the GPU against PyTorch [${kernel}]`, () => {
  for (const name of CASES) {
    const dir = modelFixtureDir(name);
    if (!dir) console.log(`${name}: not in test/fixtures/train/models or ${SHARED_TRAIN_FIXTURES}; skipped`);

    it.skipIf(!dir)(`${name}: every step's loss, the first step's gradients, the parameters after the last step`, async () => {
      const c = loadCase(dir!);
      const tr = await trainerFor(c, kernel);
      try {
        expect(tr.kernels).toBe(kernel);
        expect([...tr.trainable].sort()).toEqual([...c.meta.trainable].sort());
        const losses: number[] = [];
        let grads: Record<string, Float32Array> | undefined;
        const t0 = performance.now();
        for (let s = 0; s < c.meta.steps; s++) {
          losses.push(await tr.step(batchAt(c.lr, s), batchAt(c.hr, s)));
          if (s === 0) grads = await tr.gradients();
        }
        console.log(`${name} [${kernel}]: ${c.meta.steps} steps of batch ${c.meta.batch} in ${(performance.now() - t0).toFixed(0)} ms (compilation included)`);
        let worstLoss = 0;
        losses.forEach((l, s) => {
          const rel = Math.abs(l - c.meta.losses[s]!) / c.meta.losses[s]!;
          worstLoss = Math.max(worstLoss, rel);
          expect(rel, `step ${s} loss ${l} vs ${c.meta.losses[s]}`).toBeLessThanOrEqual(LOSS_RTOL);
        });
        console.log(`${name}: losses within ${worstLoss.toExponential(2)} relative (tolerance ${LOSS_RTOL})`);
        checkGradients(name, c, grads!);
        await checkFinal(name, c, tr);
      } finally {
        tr.destroy();
      }
    }, 120_000);
  }

});

describe('the bundled training cases', () => {
  it('the bundled SRGAN case equals the shared original when that is present', () => {
    for (const file of ['init.pth', 'final.pth', 'lr.npy', 'hr.npy', 'loss.npy', 'meta.json']) {
      let original: Buffer;
      try {
        original = readFileSync(resolve(SHARED_TRAIN_FIXTURES, 'models/srgan_x4_train', file));
      } catch {
        continue;
      }
      expect(readFileSync(resolve(TRAIN_FIXTURES, 'models/srgan_x4_train', file)).equals(original), file).toBe(true);
    }
  });
});

function checkGradients(name: string, c: Case, grads: Record<string, Float32Array>): void {
  const refs = new Map(c.meta.trainable.map((k) => [k, readNpy(resolve(c.dir, 'grads', `${k}.npy`)).data]));
  const network = Math.max(...[...refs.values()].map(maxAbs));
  let worst = { key: '', used: 0, rel: 0 };
  for (const [key, want] of refs) {
    const got = grads[key]!;
    expect(got.length, key).toBe(want.length);
    const tensorMax = maxAbs(want);
    const atol = GRAD_OF_TENSOR * tensorMax + GRAD_OF_NETWORK * network;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
    if (err / atol > worst.used) worst = { key, used: err / atol, rel: err / (tensorMax || 1) };
    expect(err, `${key}: max |Δ| ${err} > ${atol}`).toBeLessThanOrEqual(atol);
  }
  console.log(`${name}: first-step gradients: worst ${worst.key} at ${(100 * worst.used).toFixed(1)}% of its tolerance (${worst.rel.toExponential(2)} of its max |ref|)`);
}

async function checkFinal(name: string, c: Case, tr: Trainer): Promise<void> {
  const init = readStateDict(resolve(c.dir, 'init.pth'));
  const final = readStateDict(resolve(c.dir, 'final.pth'));
  const got = await tr.stateDict();
  const bound = c.meta.steps * c.meta.optimizer.lr;
  let worst = { key: '', ratio: 0 };
  for (const [key, ref] of final) {
    if (key.endsWith('num_batches_tracked')) {
      expect(got[key]!.data[0], key).toBe(ref.data[0]);
      continue;
    }
    const p = got[key]!.data;
    const p0 = init.get(key)!.data;
    let err = 0;
    let moved = 0;
    let worstElement = 0;
    for (let i = 0; i < ref.data.length; i++) {
      err += (p[i]! - ref.data[i]!) ** 2;
      moved += (ref.data[i]! - p0[i]!) ** 2;
      worstElement = Math.max(worstElement, Math.abs(p[i]! - ref.data[i]!));
    }
    const isRunning = key.includes('running_');
    if (!isRunning) expect(worstElement, `${key}: an element is ${worstElement} from PyTorch's (bound steps·lr = ${bound})`).toBeLessThanOrEqual(bound);
    if (moved === 0) {
      expect(err, `${key}: PyTorch left it unchanged`).toBe(0);
      continue;
    }
    const ratio = Math.sqrt(err / moved);
    if (ratio > worst.ratio) worst = { key, ratio };
    expect(ratio, `${key}: ‖p − p_ref‖ / ‖p_ref − p_init‖`).toBeLessThanOrEqual(FINAL_RTOL);
  }
  console.log(`${name}: after ${c.meta.steps} steps, worst tensor ${worst.key} at ${worst.ratio.toExponential(2)} of the distance PyTorch moved it (tolerance ${FINAL_RTOL})`);
}
