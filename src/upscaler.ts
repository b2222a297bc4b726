import { WgsrError } from './errors.js';
import { GraphExecutor } from './graph/executor.js';
import type { Image, TileNetwork, UpscaleOptions } from './image/types.js';
import { upscaleImage } from './image/upscale.js';
import { PipelineCache } from './kernels/program.js';
import { buildModel, type ModelOptions } from './models/build.js';
import { detectArchitecture } from './models/registry.js';
import type { ModelInfo } from './models/types.js';
import { navigatorGpu, requestWgsrDevice, type AdapterDescription } from './runtime/device.js';
import { loadWeights } from './weights/load.js';
import { interpolateStateDicts, storedDtype } from './weights/state-dict.js';
import type { WeightsFormat } from './weights/types.js';

/** Activation memory the automatic tile size aims to stay under, unless told otherwise. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;
/** Real-ESRGAN's CLI default. */
const DEFAULT_TILE_PAD = 10;

export interface UpscalerOptions extends Omit<UpscaleOptions, 'outscale' | 'alpha'> {
  /** A device to run on; without one, navigator.gpu is used (browsers, Deno) — on Node/Bun use `wgsr/node`. */
  device?: GPUDevice;
  precision?: 'f32' | 'f16';
  /** Bytes of GPU memory for activations that the automatic tile size stays within. */
  maxMemory?: number;
  /** Options the weights do not carry (EDSR's res_scale). */
  modelOptions?: ModelOptions;
  /** A name for error messages (the file name). */
  source?: string;
  /**
   * Real-ESRGAN's denoise strength: the network is built from strength·A + (1 − strength)·B,
   * A being `bytes` and B this second file (realesr-general-wdn-x4v3 beside realesr-general-x4v3).
   */
  dni?: { bytes: Uint8Array; strength: number; source?: string };
}

export interface UpscalerInfo extends ModelInfo {
  format: WeightsFormat;
  /** The dtype stored in the file (weights are computed in float32); 'float16+float32' when mixed. */
  dtype: string;
  wrapperKey?: string;
}

export interface Tensor4 {
  shape: readonly [number, number, number, number];
  data: Float32Array;
}

export interface Upscaler {
  readonly info: UpscalerInfo;
  /** The adapter when the upscaler created its own device. */
  readonly adapter?: AdapterDescription;
  /** Raw network output for an NCHW float32 input (batch 1), no clamp. */
  forward(input: Tensor4): Promise<Tensor4>;
  /** The image pipeline (tiling, padding, alpha, 8/16-bit) around the network. */
  upscale(image: Image, options?: Pick<UpscaleOptions, 'outscale' | 'alpha' | 'onProgress' | 'signal' | 'tile' | 'tilePad' | 'prePad'>): Promise<Image>;
  /** GPU bytes of activations for an input of h×w, planned vs one buffer per value. */
  memory(height: number, width: number): { planned: number; naive: number; largestBuffer: number };
  destroy(): void;
}

/** Loads `.pth` / `.safetensors` bytes, detects the network, builds it on the GPU. */
export async function createUpscaler(bytes: Uint8Array, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.precision && options.precision !== 'f32') {
    throw new WgsrError('BAD_ARGUMENT', `precision "${options.precision}" is not available yet; use f32`);
  }
  const weights = loadWeights(bytes, options.source);
  const info = detectArchitecture(weights.stateDict, options.source);
  let stateDict = weights.stateDict;
  if (options.dni) {
    const other = loadWeights(options.dni.bytes, options.dni.source);
    detectArchitecture(other.stateDict, options.dni.source);
    stateDict = interpolateStateDicts(stateDict, other.stateDict, options.dni.strength);
  }
  const model = buildModel(stateDict, info, options.modelOptions);
  const dtype = storedDtype(weights.stateDict);

  let device = options.device;
  let adapter: AdapterDescription | undefined;
  if (!device) {
    const gpu = navigatorGpu();
    if (!gpu) {
      throw new WgsrError(
        'NO_GPU',
        'No WebGPU here (navigator.gpu is undefined). On Node or Bun, import createUpscaler from "wgsr/node", ' +
          'or pass { device } from createServerDevice() of "wgsr/node".',
      );
    }
    ({ device, adapter } = await requestWgsrDevice(gpu));
  }
  const ownsDevice = !options.device;
  const executor = await GraphExecutor.create(new PipelineCache(device), model.graph);
  const defaults = options;

  const network = (tilePad: number): TileNetwork => ({
    scale: executor.scale,
    inChannels: executor.inChannels,
    outChannels: executor.outChannels,
    inputRange: model.inputRange,
    outputToUnit: model.outputToUnit,
    sizeMultiple: executor.sizeMultiple,
    forward: (tile, h, w) => executor.run(tile, h, w),
    maxTileSide: () => maxTileSide(executor, device!.limits, defaults.maxMemory ?? DEFAULT_MAX_MEMORY, tilePad),
  });

  return {
    info: { ...info, format: weights.format, dtype, wrapperKey: weights.wrapperKey },
    adapter,
    async forward(input) {
      const [n, c, h, w] = input.shape;
      if (n !== 1) throw new WgsrError('BAD_ARGUMENT', `forward takes a batch of 1, got ${n}`);
      if (c !== executor.inChannels) throw new WgsrError('BAD_ARGUMENT', `forward needs ${executor.inChannels} input channels, got ${c}`);
      const data = await executor.run(input.data, h, w);
      const s = executor.scale;
      return { shape: [1, executor.outChannels, h * s, w * s], data };
    },
    upscale(image, opts = {}) {
      const tilePad = opts.tilePad ?? defaults.tilePad ?? DEFAULT_TILE_PAD;
      return upscaleImage(network(tilePad), image, {
        tile: opts.tile ?? defaults.tile,
        tilePad,
        prePad: opts.prePad ?? defaults.prePad,
        outscale: opts.outscale,
        alpha: opts.alpha,
        onProgress: opts.onProgress ?? defaults.onProgress,
        signal: opts.signal ?? defaults.signal,
      });
    },
    memory: (h, w) => executor.memory(h, w),
    destroy() {
      executor.destroy();
      if (ownsDevice) device!.destroy();
    },
  };
}

/**
 * The largest tile side whose padded tile fits both the memory budget (all planned buffers)
 * and the adapter's per-binding limit (the largest buffer), as a multiple of the network's size
 * multiple. Never below 16 pixels: a budget too small for that is reported by the executor.
 */
function maxTileSide(executor: GraphExecutor, limits: GPUSupportedLimits, budget: number, tilePad: number): number {
  const perPixel = executor.memory(1, 1);
  const byBudget = budget / perPixel.planned;
  const byBinding = limits.maxStorageBufferBindingSize / perPixel.largestBuffer;
  const padded = Math.floor(Math.sqrt(Math.min(byBudget, byBinding)));
  const m = executor.sizeMultiple;
  return Math.max(16, Math.floor((padded - 2 * tilePad) / m) * m);
}
