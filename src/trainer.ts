import type { DeviceFactory } from './engine/engine.js';
import { checkKernelsOption, selectConvKernels, type KernelSelection, type KernelsOption } from './engine/kernels.js';
import type { KernelChoiceStore } from './engine/kernel-cache.js';
import { WgsrError } from './errors.js';
import { navigatorGpu, requestWgsrDevice, type AdapterDescription } from './gpu/device.js';
import type { LossKind } from './kernels/loss.js';
import type { ModelOptions } from './models/architecture.js';
import { loadModel } from './models/load.js';
import { checkEmaDecay } from './kernels/ema.js';
import { PipelineCache } from './kernels/program.js';
import { architectureOf, type ModelInfo } from './models/registry.js';
import { decodeOptimizerState, encodeOptimizerState } from './train/optimizer-state.js';
import { TrainingSession, type StepCallTime, type StepMemory } from './train/session.js';
import { checkBatch, trainedStateDict, type TensorData } from './train/state-dict.js';
import { DEFAULT_MAX_MEMORY, type Tensor4 } from './upscaler.js';
import { writeSafetensors } from './weights/safetensors.js';
import { writeTorchZip } from './weights/pth-writer.js';
import type { ModelBytes, WeightsFormat } from './weights/types.js';

export type { StepCallTime, StepMemory } from './train/session.js';
export type { TensorData } from './train/state-dict.js';

export interface OptimizerOptions {
  name: 'adam' | 'adamw';
  lr: number;
  /** Default (0.9, 0.999), as torch.optim.Adam. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0 for Adam (added to the gradient), 0.01 for AdamW (decoupled), as torch. */
  weightDecay?: number;
}

export interface TrainerOptions {
  /** A device to train on (the caller's: never destroyed here); without one, navigator.gpu (wgsr/node makes one). */
  device?: GPUDevice;
  deviceFactory?: DeviceFactory;
  loss: LossKind;
  optimizer: OptimizerOptions;
  /** clip_grad_norm_ to this global 2-norm before each update (default: no clipping). */
  maxGradNorm?: number;
  /** State-dict key prefixes not to train (an architecture's fixed tensors, such as EDSR's MeanShift, never are). */
  freeze?: readonly string[];
  /**
   * Keep an exponential moving average of the trained weights with this decay, updated after
   * every step on the GPU (BasicSR's ema_decay; Real-ESRGAN trains with 0.999). stateDict('ema')
   * and save(format, { weights: 'ema' }) give it; saveState() carries it.
   */
  ema?: number;
  /** The bytes saveState() returned, to go on with the same optimizer state and step count. */
  resume?: ArrayBufferView | ArrayBuffer;
  /** GPU bytes a step may use, everything included (default 1 GiB). */
  maxMemory?: number;
  /** Options the weights do not carry (EDSR's res_scale). */
  modelOptions?: ModelOptions;
  /**
   * Which conv kernel runs the forward convs and the input gradients (default: the heuristic,
   * as for upscaling: the register tile on CPU adapters, the implicit GEMM on GPUs); see
   * engine/kernels.ts. The weight gradients have a kernel of their own.
   */
  kernels?: KernelsOption;
  /** Where `kernels: 'auto'` keeps its measurements between runs (none: in memory only). */
  kernelCache?: KernelChoiceStore;
  /** Warnings (a kernel choice that cannot be measured here); default: none. */
  warn?: (message: string) => void;
  /** A name for error messages (the file name). */
  source?: string;
}

/** The weights as trained, or their moving average (the ema option). */
export type WeightsKind = 'trained' | 'ema';

export interface SaveOptions {
  /** As stateDict's (default 'trained'). */
  weights?: WeightsKind;
  /** safetensors' `__metadata__` (strings to strings), e.g. how the model was trained. */
  metadata?: Record<string, string>;
}

export interface Trainer {
  readonly info: ModelInfo & { format: WeightsFormat; wrapperKey?: string };
  /** The adapter when the trainer made its own device. */
  readonly adapter?: AdapterDescription;
  /** How the conv kernels were chosen and which: "heuristic: register-tile", "gemm". */
  readonly kernels: string;
  /** Keys being trained, and the keys the network reads that stay fixed. */
  readonly trainable: readonly string[];
  readonly frozen: readonly string[];
  /** Optimizer steps taken (a resumed run's included). */
  readonly steps: number;
  /** One step on a batch: the loss before the update (as PyTorch's loss.item()). */
  step(lr: Tensor4, hr: Tensor4): Promise<number>;
  /** The last step's gradient of every trainable tensor (before clipping). */
  gradients(): Promise<Record<string, Float32Array>>;
  setLearningRate(lr: number): void;
  /**
   * Every tensor of the model as it is now: trained, frozen, BatchNorm's running statistics.
   * With 'ema' (a trainer made with the ema option) the trained tensors are their moving average.
   */
  stateDict(weights?: WeightsKind): Promise<Record<string, TensorData>>;
  /** The model as a file: `.pth` in the input's layout (wrapper key included) or safetensors. */
  save(format: 'pth' | 'safetensors', options?: SaveOptions): Promise<Uint8Array>;
  /** The optimizer's state (moments, step count, the moving average when kept), for `resume`. */
  saveState(): Promise<Uint8Array>;
  /**
   * One step, as step() (it trains), with every dispatch's GPU time: label, phase (pack,
   * forward, loss, input_grad, weight_grad, optimizer) and FLOPs. Needs timestamp-query.
   */
  profile(lr: Tensor4, hr: Tensor4): Promise<{ loss: number; calls: StepCallTime[] }>;
  /** GPU bytes a step of `batch` images of h×w (LR) needs, by kind. */
  memory(batch: number, height: number, width: number): StepMemory;
  destroy(): void;
}

/**
 * Loads a model (.pth / .safetensors bytes, or ncnn's pair) and prepares it for training on the
 * GPU, exactly as PyTorch would train it: the network's forward in training mode, L1 or MSE
 * loss (mean), the backward of every op, and Adam or AdamW on f32 master weights.
 */
export async function createTrainer(bytes: ModelBytes, options: TrainerOptions): Promise<Trainer> {
  if (!options || typeof options !== 'object') throw new WgsrError('BAD_ARGUMENT', 'createTrainer needs options: { loss, optimizer: { name, lr } }');
  const settings = optimizerSettings(options);
  const kernelsOption = checkKernelsOption(options.kernels);
  if (options.loss !== 'l1' && options.loss !== 'mse') throw new WgsrError('BAD_ARGUMENT', `loss must be "l1" or "mse", got ${JSON.stringify(options.loss)}`);
  const freeze = [...(options.freeze ?? [])];
  if (!freeze.every((f) => typeof f === 'string' && f.length > 0)) throw new WgsrError('BAD_ARGUMENT', 'freeze must be a list of non-empty key prefixes');
  const loaded = loadModel(bytes, { source: options.source, modelOptions: options.modelOptions });
  const keys = [...loaded.weights.stateDict.keys()];
  for (const prefix of freeze) {
    // A prefix that matches nothing is a typo: training everything instead would go unnoticed.
    if (!keys.some((k) => k.startsWith(prefix))) {
      throw new WgsrError('BAD_ARGUMENT', `freeze ${prefix}: no tensor of this ${loaded.info.arch} starts with it; its keys are ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}`);
    }
  }
  const fixed = architectureOf(loaded.info).fixedParameters ?? [];
  const owned = options.device ? undefined : await (options.deviceFactory ?? navigatorDevice)();
  const device = options.device ?? owned!.device;
  const resume = options.resume === undefined ? undefined : bytesOf(options.resume);
  const emaDecay = options.ema === undefined ? undefined : checkEmaDecay(options.ema, 'createTrainer ema');
  let session: TrainingSession;
  let kernels: KernelSelection;
  try {
    // One pipeline cache: the variants 'auto' measures are the ones the session then runs.
    const pipelines = new PipelineCache(device);
    kernels = await selectConvKernels({
      option: kernelsOption,
      pipelines,
      graph: loaded.model.graph,
      element: 'f32',
      adapter: owned?.adapter,
      store: options.kernelCache,
      warn: options.warn ?? (() => undefined),
    });
    session = await TrainingSession.create(pipelines, loaded.model.graph, {
      convKernel: kernels.choice,
      loss: options.loss,
      optimizer: settings,
      fileKeys: new Set(loaded.weights.stateDict.keys()),
      frozen: [...fixed, ...freeze],
      maxMemory: options.maxMemory ?? DEFAULT_MAX_MEMORY,
      emaDecay,
      resume: resume && ((layout) => decodeOptimizerState(resume, layout, options.source ? `${options.source} (resume)` : 'resume')),
    });
  } catch (e) {
    owned?.device.destroy();
    throw e;
  }
  const slots = [...session.layout.slots.values()];
  let forwards = 0;
  const stateDict = async (kind: WeightsKind = 'trained') => {
    if (kind !== 'trained' && kind !== 'ema') throw new WgsrError('BAD_ARGUMENT', `weights must be "trained" or "ema", got ${JSON.stringify(kind)}`);
    const weights = await session.read('weights');
    // The average covers the trainable range at the start of the flat weights; frozen ones stay as they are.
    if (kind === 'ema') weights.set(await session.read('ema'));
    return trainedStateDict(loaded.weights.stateDict, session.layout, weights, await session.read('running'), forwards);
  };
  return {
    info: { ...loaded.info, format: loaded.weights.format, wrapperKey: loaded.weights.wrapperKey },
    adapter: owned?.adapter,
    kernels: kernels.how,
    trainable: slots.filter((s) => s.trainable).map((s) => s.key),
    frozen: slots.filter((s) => !s.trainable && loaded.weights.stateDict.has(s.key)).map((s) => s.key),
    get steps() {
      return session.steps;
    },
    async step(lr, hr) {
      const { batch, height, width } = checkBatch(lr, hr, loaded.info, session.program);
      forwards++;
      return session.step(lr.data, hr.data, batch, height, width);
    },
    async profile(lr, hr) {
      const { batch, height, width } = checkBatch(lr, hr, loaded.info, session.program);
      forwards++;
      return session.profileStep(lr.data, hr.data, batch, height, width);
    },
    async gradients() {
      const grads = await session.read('grads');
      return Object.fromEntries(slots.filter((s) => s.trainable).map((s) => [s.key, grads.slice(s.offset, s.offset + s.count)]));
    },
    setLearningRate: (lr) => session.setLearningRate(lr),
    async stateDict(weights) {
      return Object.fromEntries([...(await stateDict(weights))].map(([k, t]) => [k, { shape: [...t.shape], data: t.data }]));
    },
    async save(format, options = {}) {
      if (format !== 'pth' && format !== 'safetensors') throw new WgsrError('BAD_ARGUMENT', `save format must be "pth" or "safetensors", got ${JSON.stringify(format)}`);
      const { weights, metadata } = options;
      if (metadata !== undefined && format !== 'safetensors') throw new WgsrError('BAD_ARGUMENT', 'save metadata: only safetensors files hold it');
      if (format === 'pth') return writeTorchZip(await stateDict(weights), { wrapperKey: loaded.weights.wrapperKey });
      return writeSafetensors(await stateDict(weights), metadata && { metadata });
    },
    async saveState() {
      const ema = session.keepsEma ? await session.read('ema') : undefined;
      return encodeOptimizerState(session.layout, {
        step: session.steps,
        optimizer: settings.decoupled ? 'adamw' : 'adam',
        expAvg: await session.read('expAvg'),
        expAvgSq: await session.read('expAvgSq'),
        ...(ema && { ema }),
      });
    },
    memory: (batch, height, width) => session.memory(batch, height, width),
    destroy() {
      session.destroy();
      owned?.device.destroy();
    },
  };
}

function optimizerSettings(options: TrainerOptions) {
  const o = options.optimizer;
  if (!o || (o.name !== 'adam' && o.name !== 'adamw')) throw new WgsrError('BAD_ARGUMENT', `optimizer.name must be "adam" or "adamw", got ${JSON.stringify(o?.name)}`);
  const decoupled = o.name === 'adamw';
  return { lr: o.lr, betas: o.betas ?? ([0.9, 0.999] as const), eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? (decoupled ? 0.01 : 0), decoupled, maxNorm: options.maxGradNorm ?? 0 };
}

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new WgsrError('BAD_ARGUMENT', 'resume must be the bytes saveState() returned (a Uint8Array or ArrayBuffer)');
}

async function navigatorDevice(): Promise<{ device: GPUDevice; adapter: AdapterDescription }> {
  const gpu = navigatorGpu();
  if (!gpu) {
    throw new WgsrError('NO_GPU', 'No WebGPU here (navigator.gpu is undefined). On Node or Bun, import createTrainer from "wgsr/node", or pass { device }.');
  }
  return requestWgsrDevice(gpu);
}
