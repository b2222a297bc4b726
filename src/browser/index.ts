// Browser images in and out of the core: the DOM's classes are looked up only when present, so
// importing this in Node, Bun or Deno is harmless.
export { imageFromSource, imageFromRgba, isBrowserImageSource, type BrowserImageSource } from './sources.js';
export { imageToImageData, imageToCanvas, imageToRgba } from './image-data.js';
export type { BrowserOutputOption, BrowserImageResult } from './upscale-source.js';
