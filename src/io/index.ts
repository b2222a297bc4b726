// Image files for Node, Bun and Deno (PNG via pngjs, JPEG via jpeg-js, WebP via libwebp in WebAssembly).
export { readImage, readImageWithMetadata } from './read.js';
export { writeImage, formatFromExtension, type WriteOptions } from './write.js';
export { PngRowWriter } from './png-stream.js';
export { decodeImage, decodeImageAsync, decodeImageWithMetadata } from './decode.js';
export { encodeImage, encodeImageAsync, type EncodeOptions } from './encode.js';
export { DEFAULT_LIMITS, type ImageLimits } from './limits.js';
export type { ImageMetadata } from './metadata.js';
export type { ImageFormat } from './sniff.js';
