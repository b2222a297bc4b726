import { WgsrError, isWgsrError } from './errors.js';
import { GraphExecutor } from './graph/executor.js';
import { profileLayers, type LayerTime } from './graph/profile.js';
import type { Image, SubmittedTile, TileNetwork, UpscaleOptions } from './image/types.js';
import { upscaleImage } from './image/upscale.js';
import { PipelineCache } from './kernels/program.js';
import { buildModel, type ModelOptions } from './models/build.js';
import { detectArchitecture } from './models/registry.js';
import type { ModelInfo } from './models/types.js';
import { navigatorGpu, requestWgsrDevice, type AdapterDescription } from './gpu/device.js';
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
  dni?: { bytes: Uint8Array; strength: number; source?: string };
  /**
   * Makes a device when `device` is not given (default: navigator.gpu; wgsr/node passes the
   * native package's). A device made this way belongs to the upscaler: if it is lost, the
   * failing call is tried once more on a new one, and later calls use the new one.
   */
  deviceFactory?: () => Promise<{ device: GPUDevice; adapter?: AdapterDescription }>;
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
  /** How activations are stored: the precision asked for, or f32 where f16 is unavailable. */
  readonly precision: 'f32' | 'f16';
  /** Raw network output for an NCHW float32 input (batch 1), no clamp. */
  forward(input: Tensor4): Promise<Tensor4>;
  /** The image pipeline (tiling, padding, alpha, 8/16-bit) around the network. */
  upscale(image: Image, options?: UpscaleCallOptions): Promise<Image>;
  /** GPU bytes of activations for an input of h×w: planned, one buffer per value, and the most ever live at once (the minimum). */
  memory(height: number, width: number): { planned: number; naive: number; largestBuffer: number; minimum: number };
  /** Per-layer GPU times of one forward pass on an h×w input (needs the timestamp-query feature). */
  profile(height: number, width: number): Promise<LayerTime[]>;
  destroy(): void;
}

/** Loads `.pth` / `.safetensors` bytes, detects the network, builds it on the GPU. */
export async function createUpscaler(bytes: Uint8Array, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.precision !== undefined && options.precision !== 'f32' && options.precision !== 'f16') {
    throw new WgsrError('BAD_ARGUMENT', `precision must be "f32" or "f16", got "${String(options.precision)}"`);
  }
  const warn = options.onWarning ?? ((message: string) => console.warn(`wgsr: ${message}`));
  const named = (message: string) => (options.source ? `${options.source}: ${message}` : message);
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

  const ownsDevice = !options.device;
  const makeDevice = options.deviceFactory ?? navigatorDevice;
  const start = async (): Promise<Engine> => {
    const made = options.device ? { device: options.device, adapter: undefined } : await makeDevice();
    try {
      let element: 'f32' | 'f16' = options.precision ?? 'f32';
      if (element === 'f16' && !made.device.features.has('shader-f16')) {
        warn('this GPU device has no shader-f16 feature; computing in f32');
        element = 'f32';
      }
      const pipelines = new PipelineCache(made.device);
      return { ...made, pipelines, executor: await GraphExecutor.create(pipelines, model.graph, element) };
    } catch (e) {
      if (ownsDevice) made.device.destroy();
      throw e;
    }
  };
  let engine: Engine | undefined = await start();
  let lost = false;
  const adapter = engine.adapter;
  const precision = engine.executor.element;
  const defaults = options;

  /** The engine to run on: a device of our own that was lost is replaced first. */
  const current = async (): Promise<Engine> => {
    if (!engine) throw new WgsrError('BAD_ARGUMENT', 'this upscaler was destroyed');
    if (lost && ownsDevice) {
      // If no new device can be had, the lost engine stays, and the next call tries again.
      const replacement = await start();
      if (!engine) {
        stop(replacement); // destroyed meanwhile
        throw new WgsrError('BAD_ARGUMENT', 'this upscaler was destroyed');
      }
      stop(engine);
      engine = replacement;
      lost = false;
    }
    return engine;
  };
  /** Runs `job`; on DEVICE_LOST with a device of our own, once more on a new device. */
  const withDevice = async <T>(job: (e: Engine) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const e = await current();
      try {
        return await job(e);
      } catch (err) {
        if (!isWgsrError(err) || err.code !== 'DEVICE_LOST') throw err;
        lost = true;
        if (!ownsDevice || attempt > 0) throw err;
      }
    }
  };

  /**
   * Submits one tile to the engine's executor. An f16 overflow redoes it in f32, and the rest of
   * the call (`fallback` lives as long as one image or one forward) stays in f32. With tiles in
   * flight, the tile after one that overflows was already submitted in f16; whether or not it
   * overflows, it is redone in f32 when collected, so the image is exactly what one tile at a
   * time would give.
   */
  const submitTile = async (e: Engine, input: Float32Array, h: number, w: number, fallback: { f32: boolean }): Promise<SubmittedTile> => {
    if (fallback.f32) return (await f32Executor(e)).submit(input, h, w);
    const f16 = await e.executor.submit(input, h, w);
    return {
      collect: async () => {
        let out: Float32Array | undefined;
        try {
          out = await f16.collect();
        } catch (err) {
          if (!isWgsrError(err) || err.code !== 'F16_OVERFLOW') throw err;
          startFallback(e, err, fallback);
        }
        if (out && !fallback.f32) return out;
        // This tile or one before it overflowed: like every tile after the first overflow, it runs in f32.
        return (await f32Executor(e)).run(input, h, w);
      },
      discard: () => f16.discard(),
    };
  };

  /** One tile, nothing overlapped: submitTile, then collect. */
  const runTile = async (e: Engine, input: Float32Array, h: number, w: number, fallback: { f32: boolean }): Promise<Float32Array> =>
    (await submitTile(e, input, h, w, fallback)).collect();

  /** An f16 overflow: warn once, and the rest of the call runs in f32. */
  const startFallback = (e: Engine, overflow: Error, fallback: { f32: boolean }): void => {
    if (fallback.f32) return;
    warn(named(`${overflow.message}; finishing in f32`));
    fallback.f32 = true;
    e.executor.releaseActivations(); // the f32 executor needs the memory now
  };

  /** The engine's f32 executor: the main one, or one made on the first f16 overflow. */
  const f32Executor = async (e: Engine): Promise<GraphExecutor> => {
    if (e.executor.element === 'f32') return e.executor;
    e.f32 ??= GraphExecutor.create(e.pipelines, model.graph, 'f32');
    return e.f32;
  };

  /**
   * Starts a call (one image or one forward): in f16 unless the engine is f32. The f32
   * executor of an earlier fallback gives its memory back first.
   */
  const beginCall = async (e: Engine): Promise<{ f32: boolean }> => {
    if (e.executor.element === 'f32') return { f32: true };
    (await e.f32)?.releaseActivations();
    return { f32: false };
  };

  const network = (e: Engine, tilePad: number, seen: { side: number }, fallback: { f32: boolean }): TileNetwork => ({
    scale: e.executor.scale,
    inChannels: e.executor.inChannels,
    outChannels: e.executor.outChannels,
    inputRange: model.inputRange,
    outputToUnit: model.outputToUnit,
    sizeMultiple: e.executor.sizeMultiple,
    forward: async (tile, h, w) => {
      seen.side = Math.max(h, w);
      return requireFinite(await runTile(e, tile, h, w, fallback), h, w, defaults.source);
    },
    submit: async (tile, h, w) => {
      seen.side = Math.max(h, w);
      const started = await submitTile(e, tile, h, w, fallback);
      return { collect: async () => requireFinite(await started.collect(), h, w, defaults.source), discard: started.discard };
    },
    maxTileSide: () => maxTileSide(e.executor, e.device.limits, defaults.maxMemory ?? DEFAULT_MAX_MEMORY, tilePad),
    tileAlignment: e.executor.tileAlignment,
  });

  /**
   * The image pipeline; when a tile runs out of GPU memory, the image starts again with tiles
   * half as large, down to MIN_RETRY_TILE, then the error stands.
   */
  const upscaleOn = async (e: Engine, image: Image, opts: UpscaleCallOptions): Promise<Image> => {
    const tilePad = opts.tilePad ?? defaults.tilePad ?? DEFAULT_TILE_PAD;
    let tile = opts.tile ?? defaults.tile;
    for (;;) {
      const seen = { side: 0 };
      try {
        return await upscaleImage(network(e, tilePad, seen, await beginCall(e)), image, {
          tile,
          tilePad,
          prePad: opts.prePad ?? defaults.prePad,
          outscale: opts.outscale,
          alpha: opts.alpha,
          onProgress: opts.onProgress ?? defaults.onProgress,
          signal: opts.signal ?? defaults.signal,
          overlap: opts.overlap,
        });
      } catch (err) {
        // Whatever stopped the image, its activations are not needed until the next one.
        await releaseActivations(e);
        if (!isWgsrError(err) || err.code !== 'GPU_OUT_OF_MEMORY' || seen.side === 0) throw err;
        const next = Math.floor(Math.max(seen.side - 2 * tilePad, seen.side / 2) / 2);
        if (next < MIN_RETRY_TILE) {
          throw new WgsrError(
            'GPU_OUT_OF_MEMORY',
            `${defaults.source ? defaults.source + ': ' : ''}the GPU ran out of memory even for ${seen.side}-pixel tiles ` +
              `(smallest tried; retries stop below ${MIN_RETRY_TILE}); free GPU memory or use a smaller model`,
            { cause: err },
          );
        }
        tile = next;
      }
    }
  };

  return {
    info: { ...info, format: weights.format, dtype, wrapperKey: weights.wrapperKey },
    adapter,
    precision,
    forward(input) {
      return withDevice(async (e) => {
        const { executor } = e;
        const [n, c, h, w] = input.shape;
        if (n !== 1) throw new WgsrError('BAD_ARGUMENT', `forward takes a batch of 1, got ${n}`);
        if (c !== executor.inChannels) throw new WgsrError('BAD_ARGUMENT', `forward needs ${executor.inChannels} input channels, got ${c}`);
        const data = await runTile(e, input.data, h, w, await beginCall(e));
        const s = executor.scale;
        return { shape: [1, executor.outChannels, h * s, w * s] as const, data };
      });
    },
    upscale(image, opts = {}) {
      return withDevice((e) => upscaleOn(e, image, opts));
    },
    profile: (h, w) => withDevice(({ executor }) => profileLayers(executor, h, w)),
    memory: (h, w) => {
      if (!engine) throw new WgsrError('BAD_ARGUMENT', 'this upscaler was destroyed');
      return engine.executor.memory(h, w);
    },
    destroy() {
      if (engine) stop(engine);
      engine = undefined;
    },
  };

  async function releaseActivations(e: Engine): Promise<void> {
    e.executor.releaseActivations();
    (await e.f32?.catch(() => undefined))?.releaseActivations();
  }

  function stop(e: Engine): void {
    e.executor.destroy();
    void e.f32?.then((x) => x.destroy(), () => undefined);
    if (ownsDevice) e.device.destroy();
  }
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

/** The smallest tile side an out-of-memory retry tries. */
const MIN_RETRY_TILE = 32;

type UpscaleCallOptions = Pick<UpscaleOptions, 'outscale' | 'alpha' | 'onProgress' | 'signal' | 'tile' | 'tilePad' | 'prePad' | 'overlap'>;

interface Engine {
  device: GPUDevice;
  adapter?: AdapterDescription;
  pipelines: PipelineCache;
  executor: GraphExecutor;
  /** With f16 activations: the f32 executor that overflowing work is redone on, made when first needed. */
  f32?: Promise<GraphExecutor>;
}

async function navigatorDevice(): Promise<{ device: GPUDevice; adapter: AdapterDescription }> {
  const gpu = navigatorGpu();
  if (!gpu) {
    throw new WgsrError(
      'NO_GPU',
      'No WebGPU here (navigator.gpu is undefined). On Node or Bun, import createUpscaler from "wgsr/node", ' +
        'or pass { device } from createServerDevice() of "wgsr/node".',
    );
  }
  return requestWgsrDevice(gpu);
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
