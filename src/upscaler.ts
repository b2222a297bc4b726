import { Engine, type DeviceFactory } from './engine/engine.js';
import type { DeviceExecutors, TileRunner } from './engine/executors.js';
import { WgsrError, isWgsrError } from './errors.js';
import type { AdapterDescription } from './gpu/device.js';
import { profileLayers, type LayerTime } from './graph/profile.js';
import { DEFAULT_TILE_PAD, maxTilePixels, maxTileSide, MIN_RETRY_TILE, tileSideAfterOutOfMemory, type TileMemory } from './image/tile-size.js';
import type { Image, TileNetwork, UpscaleOptions } from './image/types.js';
import { upscaleImage } from './image/upscale.js';
import type { ModelOptions } from './models/architecture.js';
import { loadModel } from './models/load.js';
import type { BuiltModel, ModelInfo } from './models/registry.js';
import type { ModelBytes, WeightsFormat } from './weights/types.js';

/** Activation memory the automatic tile size aims to stay under, unless told otherwise. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;

export interface UpscalerOptions extends Omit<UpscaleOptions, 'outscale' | 'alpha'> {
  /** A device to run on; without one, navigator.gpu is used (browsers, Deno) — on Node/Bun use `wgsr/node`. */
  device?: GPUDevice;
  /**
   * How activations are stored (math is f32 either way). f16 halves their memory and traffic
   * where the adapter has shader-f16; elsewhere it falls back to f32 with a warning. Work whose
   * activations leave f16's range is redone in f32 (the rest of that image), with a warning.
   */
  precision?: 'f32' | 'f16';
  /** Where warnings go (f16 unavailable, f16 overflow); default console.warn. */
  onWarning?: (message: string) => void;
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
  dni?: { bytes: ModelBytes; strength: number; source?: string };
  /**
   * Makes a device when `device` is not given (default: navigator.gpu; wgsr/node passes the
   * native package's). A device made this way belongs to the upscaler: if it is lost, the
   * failing call is tried once more on a new one, and later calls use the new one.
   */
  deviceFactory?: DeviceFactory;
}

export type UpscalerInfo = ModelInfo & {
  format: WeightsFormat;
  /** The dtype stored in the file (weights are computed in float32); 'float16+float32' when mixed. */
  dtype: string;
  wrapperKey?: string;
};

export interface Tensor4 {
  shape: readonly [number, number, number, number];
  data: Float32Array;
}

/** What one upscale call may set; the rest comes from the upscaler's options. */
export type UpscaleCallOptions = Pick<UpscaleOptions, 'outscale' | 'alpha' | 'onProgress' | 'signal' | 'tile' | 'tilePad' | 'prePad' | 'overlap' | 'tta' | 'tileBlend'>;

/** How one raw forward pass is run. */
export interface ForwardOptions {
  /** Test-time augmentation: the mean of the network over the input's eight flips and rotations, on the GPU. */
  tta?: boolean;
}

export interface Upscaler {
  readonly info: UpscalerInfo;
  /** The adapter when the upscaler created its own device. */
  readonly adapter?: AdapterDescription;
  /** How activations are stored: the precision asked for, or f32 where f16 is unavailable. */
  readonly precision: 'f32' | 'f16';
  /** Raw network output for an NCHW float32 input (batch 1), no clamp. */
  forward(input: Tensor4, options?: ForwardOptions): Promise<Tensor4>;
  /** The image pipeline (tiling, padding, alpha, 8/16-bit) around the network. */
  upscale(image: Image, options?: UpscaleCallOptions): Promise<Image>;
  /** GPU bytes of activations for an input of h×w: planned, one buffer per value, and the most ever live at once (the minimum). */
  memory(height: number, width: number): { planned: number; naive: number; largestBuffer: number; minimum: number };
  /** Per-layer GPU times of one forward pass on an h×w input (needs the timestamp-query feature). */
  profile(height: number, width: number): Promise<LayerTime[]>;
  destroy(): void;
}

/**
 * Loads a model (`.pth` / `.safetensors` bytes, or an ncnn `{ param, bin }` pair), detects the
 * network, builds it on the GPU.
 */
export async function createUpscaler(bytes: ModelBytes, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.precision !== undefined && options.precision !== 'f32' && options.precision !== 'f16') {
    throw new WgsrError('BAD_ARGUMENT', `precision must be "f32" or "f16", got "${String(options.precision)}"`);
  }
  const warn = options.onWarning ?? ((message: string) => console.warn(`wgsr: ${message}`));
  const { weights, info, dtype, model } = loadModel(bytes, options);
  const engine = await Engine.create(model.graph, { ...options, warn });
  const { adapter, main } = engine.current;
  return {
    info: { ...info, format: weights.format, dtype, wrapperKey: weights.wrapperKey },
    adapter,
    precision: main.element,
    forward: (input, call = {}) => engine.withDevice((executors) => forward(executors, input, call)),
    upscale: (image, call = {}) => {
      const { tile, tilePad, prePad, onProgress, signal, overlap, tta, tileBlend } = options;
      const settings = { tile, tilePad, prePad, onProgress, signal, overlap, tta, tileBlend, ...definedOnly(call) };
      return engine.withDevice((executors) => upscaleRetrying(executors, model, image, settings, options));
    },
    profile: (h, w) => engine.withDevice(({ main: executor }) => profileLayers(executor, h, w)),
    memory: (h, w) => engine.current.main.memory(h, w),
    destroy: () => engine.destroy(),
  };
}

async function forward(executors: DeviceExecutors, input: Tensor4, options: ForwardOptions): Promise<Tensor4> {
  const { main } = executors;
  const [n, c, h, w] = input.shape;
  if (n !== 1) throw new WgsrError('BAD_ARGUMENT', `forward takes a batch of 1, got ${n}`);
  if (c !== main.inChannels) throw new WgsrError('BAD_ARGUMENT', `forward needs ${main.inChannels} input channels, got ${c}`);
  const data = await (await executors.beginCall()).run(input.data, h, w, { tta: options.tta === true });
  const s = main.scale;
  return { shape: [1, main.outChannels, h * s, w * s] as const, data };
}

/**
 * The image pipeline; when a tile runs out of GPU memory, the image starts again with tiles
 * about half as large (tileSideAfterOutOfMemory), down to MIN_RETRY_TILE, then the error stands.
 */
async function upscaleRetrying(
  executors: DeviceExecutors,
  model: BuiltModel,
  image: Image,
  call: UpscaleCallOptions,
  opts: Pick<UpscalerOptions, 'maxMemory' | 'source'>,
): Promise<Image> {
  const tilePad = call.tilePad ?? DEFAULT_TILE_PAD;
  let tile = call.tile;
  for (;;) {
    const seen = { side: 0 };
    try {
      const net = tileNetwork(executors, model, await executors.beginCall(), seen, { tilePad, tta: call.tta === true }, opts);
      return await upscaleImage(net, image, { ...call, tile, tilePad });
    } catch (err) {
      // Whatever stopped the image, its activations are not needed until the next one.
      await executors.releaseActivations();
      if (!isWgsrError(err) || err.code !== 'GPU_OUT_OF_MEMORY' || seen.side === 0) throw err;
      const next = tileSideAfterOutOfMemory(seen.side, tilePad);
      if (next === undefined) {
        throw new WgsrError(
          'GPU_OUT_OF_MEMORY',
          `${opts.source ? opts.source + ': ' : ''}the GPU ran out of memory even for ${seen.side}-pixel tiles ` +
            `(smallest tried; retries stop below ${MIN_RETRY_TILE}); free GPU memory or use a smaller model`,
          { cause: err },
        );
      }
      tile = next;
    }
  }
}

/** The network as the image pipeline sees it; `seen.side` records the largest tile side run. */
function tileNetwork(
  executors: DeviceExecutors,
  model: BuiltModel,
  runner: TileRunner,
  seen: { side: number },
  { tilePad, tta }: { tilePad: number; tta: boolean },
  opts: Pick<UpscalerOptions, 'maxMemory' | 'source'>,
): TileNetwork {
  const { main, device } = executors;
  const budget = opts.maxMemory ?? DEFAULT_MAX_MEMORY;
  const bindingLimit = device.limits.maxStorageBufferBindingSize;
  const perPixel = () => tileMemory(main.memory(1, 1), tta ? main.ttaBytesPerPixel : undefined);
  return {
    scale: main.scale,
    inChannels: main.inChannels,
    outChannels: main.outChannels,
    inputRange: model.inputRange,
    outputToUnit: model.outputToUnit,
    sizeMultiple: main.sizeMultiple,
    tta: true,
    forward: async (tile, h, w, run) => {
      seen.side = Math.max(h, w);
      return requireFinite(await runner.run(tile, h, w, run), h, w, opts.source);
    },
    submit: async (tile, h, w, run) => {
      seen.side = Math.max(h, w);
      const started = await runner.submit(tile, h, w, run);
      return { collect: async () => requireFinite(await started.collect(), h, w, opts.source), discard: started.discard };
    },
    maxTileSide: () => maxTileSide(perPixel(), budget, bindingLimit, tilePad, main.sizeMultiple),
    maxTilePixels: () => maxTilePixels(perPixel(), budget, bindingLimit),
    tileAlignment: main.tileAlignment,
  };
}

/** The activation bytes per input pixel a tile needs, with TTA's source and accumulator when it runs TTA. */
function tileMemory(graph: TileMemory, tta?: { total: number; largest: number }): TileMemory {
  if (!tta) return graph;
  return { planned: graph.planned + tta.total, largestBuffer: Math.max(graph.largestBuffer, tta.largest) };
}

/** The options a call sets (an explicit `undefined` leaves the upscaler's own in place). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A NaN or infinity in the network's output would be clamped to black or white pixels without
 * a word (the classic fp16 failure of Real-ESRGAN); fail the image instead.
 */
function requireFinite(out: Float32Array, height: number, width: number, source?: string): Float32Array {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new WgsrError(
        'NUMERIC',
        `${source ? source + ': ' : ''}the network produced a non-finite value (${out[i]}) on a ${width}×${height} tile; ` +
          'the weights may be corrupt, or its activations overflow',
      );
    }
  }
  return out;
}
