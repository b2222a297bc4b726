import { upscaleAnyImage, type BrowserImageResult } from './browser/upscale-source.js';
import type { BrowserImageSource } from './browser/sources.js';
import { Engine, type DeviceFactory } from './engine/engine.js';
import type { DeviceExecutors } from './engine/executors.js';
import { WgsrError } from './errors.js';
import type { KernelChoiceStore } from './engine/kernel-cache.js';
import { checkKernelsOption, type KernelsOption } from './engine/kernels.js';
import type { AdapterDescription } from './gpu/device.js';
import { profileLayers, type LayerTime } from './graph/profile.js';
import type { Image, RowSink, UpscaleOptions } from './image/types.js';
import type { ModelOptions } from './models/architecture.js';
import { loadModel } from './models/load.js';
import type { ModelInfo } from './models/registry.js';
import { ImageReplay, runImagesRetrying } from './upscale-run.js';
import type { ModelBytes, WeightsFormat } from './weights/types.js';

export { DEFAULT_MAX_MEMORY } from './upscale-run.js';

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
  /**
   * Which conv kernel variant computes the convs: 'heuristic' (default: the register tile on
   * CPU adapters, the implicit GEMM on GPUs), 'auto' (measured on this adapter within ~2 s on
   * first use and cached; the heuristic on CPU adapters) or a variant's name ('register-tile',
   * 'gemm', 'gemm-f16').
   */
  kernels?: KernelsOption;
  /** Where 'auto' keeps its measurements (wgsr/node passes a JSON file in the cache dir). */
  kernelCache?: KernelChoiceStore;
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
  /** How the conv kernels were chosen and which: "heuristic: register-tile", "auto (measured)", "gemm". */
  readonly kernels: string;
  /** Raw network output for an NCHW float32 input (batch 1), no clamp. */
  forward(input: Tensor4, options?: ForwardOptions): Promise<Tensor4>;
  /** The image pipeline (tiling, padding, alpha, 8/16-bit) around the network. */
  upscale(image: Image, options?: UpscaleCallOptions): Promise<Image>;
  /**
   * In a browser or worker: ImageData, an ImageBitmap, a canvas, an <img> or a Blob (a File) in,
   * 8-bit RGB(A) through the same pipeline, ImageData out (see src/browser/sources.ts).
   */
  upscale(image: BrowserImageSource, options?: UpscaleCallOptions & { output?: 'imagedata' }): Promise<ImageData>;
  /** The same, the result on a canvas: a <canvas> element where there is a document, else an OffscreenCanvas. */
  upscale(image: BrowserImageSource, options: UpscaleCallOptions & { output: 'canvas' }): Promise<HTMLCanvasElement | OffscreenCanvas>;
  /**
   * upscale() with the output streamed: its rows go to `sink` a band at a time (see
   * UpscaleOptions.rows; PngRowWriter writes them to a file), so a large output is never held
   * whole. Resolves to the output's size.
   */
  upscaleRows(image: Image, sink: RowSink, options?: UpscaleCallOptions): Promise<{ width: number; height: number }>;
  /**
   * upscale() over a sequence of images (video frames), with one set of options, handing each
   * result to `onImage` in order and awaiting it. The tiles of consecutive images share one
   * pipeline: a frame's upload and the read-back of the one before overlap the GPU's work,
   * and `onImage` runs while the next frame's first tile computes. A lost device or an
   * out-of-memory tile restarts from the first frame not yet handed out. `onProgress` counts
   * each image's tiles. Resolves to the number of images.
   */
  upscaleFrames(
    images: Iterable<Image> | AsyncIterable<Image>,
    onImage: (image: Image, index: number) => void | Promise<void>,
    options?: UpscaleCallOptions,
  ): Promise<number>;
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
  const kernels = checkKernelsOption(options.kernels);
  const warn = options.onWarning ?? ((message: string) => console.warn(`wgsr: ${message}`));
  const { weights, info, dtype, model } = loadModel(bytes, options);
  const engine = await Engine.create(model.graph, { ...options, kernels, warn });
  const { adapter, main } = engine.current;
  const run = async (images: Iterable<Image> | AsyncIterable<Image>, onImage: (image: Image, index: number) => void | Promise<void>, call: UpscaleCallOptions & { rows?: RowSink } = {}) => {
    const { tile, tilePad, prePad, onProgress, signal, overlap, tta, tileBlend } = options;
    const settings = { tile, tilePad, prePad, onProgress, signal, overlap, tta, tileBlend, ...definedOnly(call) };
    const replay = new ImageReplay(images);
    const state = { tile: settings.tile };
    await engine.withDevice((executors) => runImagesRetrying(executors, model, replay, onImage, settings, state, options));
    return replay.delivered;
  };
  return {
    info: { ...info, format: weights.format, dtype, wrapperKey: weights.wrapperKey },
    adapter,
    precision: main.element,
    kernels: engine.current.kernels.how,
    forward: (input, call = {}) => engine.withDevice((executors) => forward(executors, input, call)),
    upscale: ((input: Image | BrowserImageSource, call: UpscaleCallOptions = {}): Promise<Image | BrowserImageResult> =>
      upscaleAnyImage(
        async (image: Image, own: UpscaleCallOptions) => {
          let result: Image | undefined;
          await run([image], (out) => void (result = out), own);
          return result!;
        },
        input,
        call,
      )) as Upscaler['upscale'],
    upscaleRows: async (image, sink, call = {}) => {
      let size = { width: 0, height: 0 };
      await run([image], (out) => void (size = { width: out.width, height: out.height }), { ...call, rows: sink });
      return size;
    },
    upscaleFrames: run,
    profile: (h, w) => engine.withDevice(({ main: executor }) => profileLayers(executor, h, w)),
    memory: (h, w) => engine.current.main.memory(h, w),
    destroy: () => engine.destroy(),
  };
}

async function forward(executors: DeviceExecutors, input: Tensor4, options: ForwardOptions): Promise<Tensor4> {
  const { main } = executors;
  const { shape, data: values } = checkTensor4(input);
  const [n, c, h, w] = shape;
  if (n !== 1) throw new WgsrError('BAD_ARGUMENT', `forward takes a batch of 1, got ${n}`);
  if (c !== main.inChannels) throw new WgsrError('BAD_ARGUMENT', `forward needs ${main.inChannels} input channels, got ${c}`);
  const data = await (await executors.beginCall()).run(values, h, w, { tta: options.tta === true });
  const s = main.scale;
  return { shape: [1, main.outChannels, h * s, w * s] as const, data };
}

/**
 * A forward input as float32: `shape` four whole numbers ≥ 1 and `data` exactly that many
 * values. A Float64Array or a plain array is converted (read as bytes it would be garbage).
 */
function checkTensor4(input: Tensor4): Tensor4 {
  const shape = input?.shape as unknown;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new WgsrError('BAD_ARGUMENT', `forward needs { shape: [N, C, H, W] } with four whole numbers ≥ 1, got shape ${JSON.stringify(shape)}`);
  }
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  const data = input.data as unknown;
  const isNumbers = data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data);
  if (!isNumbers) throw new WgsrError('BAD_ARGUMENT', `forward needs data as a Float32Array (or Float64Array, or an array of numbers), got ${data === null ? 'null' : typeof data}`);
  const values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  if (values.length !== count) throw new WgsrError('BAD_ARGUMENT', `forward: shape [${shape.join(', ')}] holds ${count} values, data has ${values.length}`);
  return { shape: shape as unknown as Tensor4['shape'], data: values };
}

/** The options a call sets (an explicit `undefined` leaves the upscaler's own in place). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
