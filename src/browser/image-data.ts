import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { validateImage } from '../image/validate.js';
import { browserClass, newCanvas } from './globals.js';

/**
 * RGBA bytes from any wgsr Image: gray is spread to R, G and B; a missing alpha is 255; 16-bit
 * samples are rounded to 8 bits (v / 257, which maps 65535 to 255 exactly).
 */
export function imageToRgba(image: Image, what = 'image'): Uint8ClampedArray {
  validateImage(image, what);
  const { width, height, channels, data } = image;
  const pixels = width * height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const to8 = image.bitDepth === 16 ? (v: number) => Math.round(v / 257) : (v: number) => v;
  const color = channels >= 3;
  const alpha = channels === 2 || channels === 4;
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    const d = p * 4;
    const r = to8(data[s]!);
    rgba[d] = r;
    rgba[d + 1] = color ? to8(data[s + 1]!) : r;
    rgba[d + 2] = color ? to8(data[s + 2]!) : r;
    rgba[d + 3] = alpha ? to8(data[s + channels - 1]!) : 255;
  }
  return rgba;
}

/** An ImageData of a wgsr Image (see imageToRgba); needs a runtime with ImageData (browsers, workers, Deno). */
export function imageToImageData(image: Image, what = 'image'): ImageData {
  const imageData = browserClass('ImageData') as (new (data: Uint8ClampedArray, w: number, h: number) => ImageData) | undefined;
  if (!imageData) {
    throw new WgsrError('BAD_ARGUMENT', 'ImageData exists only in browsers and their workers; in Node, Bun or Deno keep the wgsr Image (writeImage from "wgsr/node" saves it)');
  }
  return new imageData(imageToRgba(image, what), image.width, image.height);
}

/**
 * A canvas holding a wgsr Image: a <canvas> element where there is a document (so it can be put
 * on the page), else an OffscreenCanvas (workers).
 */
export function imageToCanvas(image: Image, what = 'image'): HTMLCanvasElement | OffscreenCanvas {
  const pixels = imageToImageData(image, what);
  const canvas = newCanvas(image.width, image.height, 'element');
  const context = canvas?.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null | undefined;
  if (!canvas || !context) throw new WgsrError('BAD_ARGUMENT', 'this runtime has no 2D canvas; ask for ImageData instead (output: "imagedata")');
  context.putImageData(pixels, 0, 0);
  return canvas;
}
