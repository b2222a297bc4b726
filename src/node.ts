/// <reference types="@webgpu/types" preserve="true" />
// `wgsr/node`: everything the core (`wgsr`) exports, plus what Node, Bun and Deno add: a GPU
// device from the native WebGPU packages, model files by path, the bundled model, image files.
export * from './index.js';
// Named here, this createUpscaler (paths, a server device) takes the place of the core's.
export { createUpscaler } from './runtime/node-upscaler.js';
export { loadServerGpu, createServerDevice } from './runtime/node.js';
export { defaultDenoisingModel, defaultDenoisingModelPath, defaultModel, defaultModelPath } from './runtime/default-model.js';
export { readModelPath } from './runtime/model-path.js';
export { kernelCacheFile } from './runtime/kernel-cache-file.js';
export {
  readImage,
  readImageWithMetadata,
  writeImage,
  PngRowWriter,
  decodeImage,
  decodeImageAsync,
  encodeImage,
  encodeImageAsync,
  formatFromExtension,
  DEFAULT_LIMITS,
  type ImageLimits,
  type ImageMetadata,
  type WriteOptions,
  type EncodeOptions,
  type ImageFormat,
} from './io/index.js';
export { openTrainingSet, createPrefetchingSampler, type TrainingSet, type TrainingSetSpec, type PrefetchingSampler } from './runtime/node-train-data/index.js';
export { jpegRoundTrip } from './io/jpeg-roundtrip.js';
export { createTrainer } from './runtime/node-trainer.js';
export { upscaleVideo, type VideoOptions, type VideoProgress, type VideoResult } from './runtime/node-video.js';
export {
  loadModelByName,
  modelCatalog,
  wgsrCacheDir,
  cachedModelPath,
  findModel,
  BUILTIN_CATALOG,
  type CatalogEntry,
  type LoadByNameOptions,
  type ModelByName,
} from './runtime/models/index.js';
