// Image files for Node, Bun and Deno (PNG via pngjs, JPEG via jpeg-js).
export { readImage } from './read.js';
export { writeImage, formatFromExtension, type WriteOptions } from './write.js';
export { decodeImage } from './decode.js';
export { encodeImage, type EncodeOptions } from './encode.js';
export { DEFAULT_LIMITS, type ImageLimits } from './limits.js';
export type { ImageFormat } from './sniff.js';
