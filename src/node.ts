// Helpers for Node, Bun and Deno: a GPU device from the optional native packages, image files.
export { loadServerGpu, createServerDevice } from './runtime/node.js';
export { createUpscaler } from './runtime/node-upscaler.js';
export { readImage, writeImage, decodeImage, encodeImage, formatFromExtension, DEFAULT_LIMITS, type ImageLimits, type WriteOptions, type EncodeOptions, type ImageFormat } from './io/index.js';
export { upscaleVideo, type VideoOptions, type VideoProgress, type VideoResult } from './runtime/node-video.js';
