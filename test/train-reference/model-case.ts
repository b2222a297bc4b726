import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Graph } from '../../src/graph/ir.js';
import { buildModel } from '../../src/models/registry.js';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadWeights } from '../../src/weights/load.js';
import type { StateDict } from '../../src/weights/types.js';
import { readNpy } from '../helpers/npy.js';
import { adamState, adamStep, type AdamSettings, type AdamState } from '../reference/adam.js';
import { trainStepRef } from '../reference/graph-grad.js';
import type { LossKind } from '../reference/loss.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';

/** What a models/<case>/meta.json says about the training run. */
export interface ModelMeta {
  name: string;
  arch: string;
  scale: number;
  steps: number;
  batch: number;
  res_scale: number | null;
  loss: string;
  optimizer: { name: string; lr: number; betas: [number, number]; eps: number; weight_decay?: number };
  trainable: string[];
  frozen: string[];
  losses: number[];
}

export interface ModelCase {
  dir: string;
  meta: ModelMeta;
  init: StateDict;
  graph: Graph;
  loss: LossKind;
  adam: AdamSettings;
  lr: { shape: number[]; data: Float32Array };
  hr: { shape: number[]; data: Float32Array };
  /** The loss before each step's update, as PyTorch computed it. */
  losses: Float32Array;
}

export const readStateDict = (path: string) => loadWeights(readFileSync(path), path).stateDict;

export function loadModelCase(dir: string): ModelCase {
  const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8')) as ModelMeta;
  const init = readStateDict(resolve(dir, 'init.pth'));
  const info = detectArchitecture(init, meta.name);
  const options = info.arch === 'EDSR' && meta.res_scale !== null ? { resScale: meta.res_scale } : {};
  const loss = meta.loss.split(' ')[0] as LossKind; // "l1 (reduction mean)"
  if (loss !== 'l1' && loss !== 'mse') throw new Error(`${meta.name}: unknown loss "${meta.loss}"`);
  const o = meta.optimizer;
  if (o.name !== 'Adam') throw new Error(`${meta.name}: optimizer ${o.name}, the reference runs Adam`);
  return {
    dir,
    meta,
    init,
    graph: buildModel(init, info, options).graph,
    loss,
    adam: { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay ?? 0 },
    lr: readNpy(resolve(dir, 'lr.npy')),
    hr: readNpy(resolve(dir, 'hr.npy')),
    losses: readNpy(resolve(dir, 'loss.npy')).data,
  };
}

/** Step `s`'s batch from a (steps, N, C, h, w) array. */
export function batchAt(a: { shape: number[]; data: Float32Array }, s: number): Tensor4 {
  const [, n, c, h, w] = a.shape as [number, number, number, number, number];
  const size = n * c * h * w;
  return tensor4(n, c, h, w, a.data.subarray(s * size, (s + 1) * size));
}

/** The trainable parameters' initial values, in float64, by key. */
export function initialParams(mc: ModelCase): Map<string, Float64Array> {
  return new Map(
    mc.meta.trainable.map((key) => {
      const t = mc.init.get(key);
      if (!t) throw new Error(`${mc.meta.name}: init.pth has no trainable "${key}"`);
      return [key, Float64Array.from(t.data)];
    }),
  );
}

/** Runs every step (forward, backward, Adam on each trainable tensor); returns each step's loss and the final parameters. */
export function trainRef(mc: ModelCase, steps = mc.meta.steps): { losses: number[]; params: Map<string, Float64Array> } {
  const params = initialParams(mc);
  const states = new Map<string, AdamState>([...params].map(([k, v]) => [k, adamState(v.length)]));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = trainStepRef(mc.graph, params, batchAt(mc.lr, s), batchAt(mc.hr, s), mc.loss);
    losses.push(r.loss);
    for (const [key, g] of r.grads) {
      const next = adamStep(params.get(key)!, g, states.get(key)!, mc.adam);
      params.set(key, next.param);
      states.set(key, next.state);
    }
  }
  return { losses, params };
}
