import { describe, expect, it } from 'vitest';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { createTrainer, type OptimizerOptions } from '../../src/trainer.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import { edsr, rrdbnet, srgan, srvgg } from '../helpers/architectures.js';
import { testDevice } from '../helpers/gpu.js';
import { randomArray, rng } from '../helpers/synthetic.js';
import { adamState, adamStep, adamwStep, type AdamState } from '../reference/adam.js';
import { clipGradNormRef } from '../reference/clip-grad-norm.js';
import { trainStepRef } from '../reference/graph-grad.js';
import type { LossKind } from '../reference/loss.js';
import { tensor4 } from '../reference/tensor4.js';

/**
 * The general case against the float64 CPU reference (trainStepRef, the reference Adam/AdamW and
 * clip_grad_norm_), on what the fixtures do not cover: other scales (RRDBNet ×2 and ×1 read
 * their input pixel-unshuffled, EDSR ×3 pixel-shuffles by 3), odd patch sizes, batch sizes 1–3,
 * a shared PReLU slope, MSE, weight decay, AdamW, clipping, frozen prefixes and BatchNorm.
 * Tolerances as the PyTorch model fixtures' (models.test.ts): loss 1e-4 relative; gradients
 * 1e-3 of each tensor's max |ref| + 1e-5 of the network's; parameters after the last step
 * within 1e-3 of the distance the reference moved them.
 */
const LOSS_RTOL = 1e-4;
const FINAL_RTOL = 1e-3;

/** Random weights of fan-in scale; PReLU slopes in (0, 0.5); BN's γ near 1, running var > 0. */
function randomized(sd: StateDict, seed: number): StateDict {
  const r = rng(seed);
  return new Map(
    [...sd].map(([key, t]) => {
      const fanIn = t.shape.length === 4 ? t.shape[1]! * t.shape[2]! * t.shape[3]! : 1;
      let data = randomArray(t.data.length, r, Math.sqrt(3 / fanIn));
      if (t.shape.length === 1 && key.endsWith('.weight')) data = data.map((v) => 0.25 + 0.25 * v);
      if (/bn\d?\.weight$|block_out\.1\.weight$/.test(key)) data = data.map((v) => 1 + 0.2 * v);
      if (key.endsWith('running_var')) data = data.map((v) => 1 + 0.5 * Math.abs(v));
      return [key, { ...t, data }];
    }),
  );
}

interface Case {
  name: string;
  sd: StateDict;
  lr: [number, number, number, number];
  loss: LossKind;
  optimizer: OptimizerOptions;
  maxGradNorm?: number;
  freeze?: string[];
}

const sharedSlope = (sd: StateDict): StateDict =>
  new Map([...sd].map(([k, t]) => [k, /^body\.\d*[13579]\.weight$/.test(k) ? { shape: [1], data: Float32Array.of(0.2), dtype: 'float32' as const } : t]));

const CASES: Case[] = [
  { name: 'RRDBNet ×2 (pixel-unshuffled input), batch 2, 6×10, Adam with weight decay', sd: randomized(rrdbnet(2, 1, 8, 4), 1), lr: [2, 3, 6, 10], loss: 'l1', optimizer: { name: 'adam', lr: 2e-3, weightDecay: 0.05 } },
  { name: 'RRDBNet ×1 (unshuffle 4), batch 1, 8×12, AdamW', sd: randomized(rrdbnet(1, 1, 8, 4), 2), lr: [1, 3, 8, 12], loss: 'l1', optimizer: { name: 'adamw', lr: 1e-3, betas: [0.8, 0.95] } },
  { name: 'SRVGGNetCompact ×3 with one shared PReLU slope, batch 3, 5×7, MSE, clipped', sd: randomized(sharedSlope(srvgg(8, 2, 3)), 3), lr: [3, 3, 5, 7], loss: 'mse', optimizer: { name: 'adam', lr: 1e-3 }, maxGradNorm: 0.05 },
  { name: 'EDSR ×3 (shuffle 3), batch 2, 4×6, head and body.0 frozen', sd: randomized(edsr(3, 2, 8), 4), lr: [2, 3, 4, 6], loss: 'l1', optimizer: { name: 'adam', lr: 1e-3 }, freeze: ['head.', 'body.0.'] },
  { name: 'SRGAN ×4 with BatchNorm, batch 2, 5×6, MSE, AdamW', sd: randomized(srgan(1, 8), 5), lr: [2, 3, 5, 6], loss: 'mse', optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 0.1 } },
];

const STEPS = 3;
const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

describe('training against the float64 reference, the general case', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { device } = await testDevice();
      const info = detectArchitecture(c.sd, c.name);
      const graph = buildModel(c.sd, info).graph;
      const tr = await createTrainer(writeSafetensors(c.sd), { device, loss: c.loss, optimizer: c.optimizer, maxGradNorm: c.maxGradNorm, freeze: c.freeze });
      try {
        const frozen = (k: string) => (c.freeze ?? []).some((p) => k.startsWith(p));
        const keys = [...c.sd.keys()].filter((k) => !k.includes('running_') && !k.includes('num_batches') && !frozen(k));
        expect([...tr.trainable].sort()).toEqual([...keys].sort());
        let params: Map<string, Float64Array> = new Map(keys.map((k) => [k, Float64Array.from(c.sd.get(k)!.data)]));
        const states = new Map<string, AdamState>(keys.map((k) => [k, adamState(params.get(k)!.length)]));
        const settings = { lr: c.optimizer.lr, betas: c.optimizer.betas ?? ([0.9, 0.999] as const), eps: 1e-8, weightDecay: c.optimizer.weightDecay ?? (c.optimizer.name === 'adamw' ? 0.01 : 0) };
        const r = rng(99);
        const [n, ch, h, w] = c.lr;
        const s = info.scale;
        for (let step = 0; step < STEPS; step++) {
          const lr = Float32Array.from({ length: n * ch * h * w }, r);
          const hr = Float32Array.from({ length: n * 3 * h * s * w * s }, () => 2 * r() - 1);
          const got = await tr.step({ shape: [n, ch, h, w], data: lr }, { shape: [n, 3, h * s, w * s], data: hr });
          const ref = trainStepRef(graph, params, tensor4(n, ch, h, w, lr), tensor4(n, 3, h * s, w * s, hr), c.loss);
          expect(Math.abs(got - ref.loss) / ref.loss, `step ${step} loss`).toBeLessThanOrEqual(LOSS_RTOL);
          if (step === 0) await checkGradients(c.name, ref.grads, await tr.gradients());
          const grads = c.maxGradNorm ? clipGradNormRef([...ref.grads.values()], c.maxGradNorm).grads : [...ref.grads.values()];
          const next = new Map<string, Float64Array>();
          [...ref.grads.keys()].forEach((k, i) => {
            const u = (c.optimizer.name === 'adamw' ? adamwStep : adamStep)(params.get(k)!, grads[i]!, states.get(k)!, settings);
            next.set(k, u.param);
            states.set(k, u.state);
          });
          params = next;
        }
        const final = await tr.stateDict();
        let worst = 0;
        for (const [k, want] of params) {
          const init = c.sd.get(k)!.data;
          let err = 0;
          let moved = 0;
          want.forEach((v, i) => {
            err += (final[k]!.data[i]! - v) ** 2;
            moved += (v - init[i]!) ** 2;
          });
          worst = Math.max(worst, Math.sqrt(err / moved));
          expect(Math.sqrt(err / moved), `${k}: ‖p − p_ref‖ / ‖p_ref − p_init‖`).toBeLessThanOrEqual(FINAL_RTOL);
        }
        for (const k of c.sd.keys()) if (frozen(k)) expect(final[k]!.data, `${k} is frozen`).toEqual(c.sd.get(k)!.data);
        console.log(`${c.name}: parameters within ${worst.toExponential(2)} of the distance moved`);
      } finally {
        tr.destroy();
      }
    }, 60_000);
  }
});

async function checkGradients(name: string, want: Map<string, Float64Array>, got: Record<string, Float32Array>) {
  const network = Math.max(...[...want.values()].map(maxAbs));
  let worst = 0;
  for (const [k, ref] of want) {
    const atol = 1e-3 * maxAbs(ref) + 1e-5 * network;
    const err = maxAbs(ref.map((v, i) => v - got[k]![i]!));
    worst = Math.max(worst, err / atol);
    expect(err, `${name} gradient ${k}`).toBeLessThanOrEqual(atol);
  }
  console.log(`${name}: first-step gradients at ${(100 * worst).toFixed(1)}% of the tolerance (worst tensor)`);
}
