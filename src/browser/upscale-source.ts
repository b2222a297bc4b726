import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { imageToCanvas, imageToImageData } from './image-data.js';
import { imageFromSource, isBrowserImageSource, type BrowserImageSource } from './sources.js';

/** What a browser image comes back as: ImageData (the default) or a canvas. */
export interface BrowserOutputOption {
  output?: 'imagedata' | 'canvas';
}

export type BrowserImageResult = ImageData | HTMLCanvasElement | OffscreenCanvas;

/**
 * upscale's front door: a wgsr Image goes to `run` as it is and comes back as a wgsr Image; a
 * browser image is read into one first (imageFromSource) and the result is returned as ImageData,
 * or as a canvas with `output: 'canvas'` (imageToCanvas).
 */
export async function upscaleAnyImage<O extends object>(
  run: (image: Image, options: O) => Promise<Image>,
  input: Image | BrowserImageSource,
  options: O & BrowserOutputOption,
): Promise<Image | BrowserImageResult> {
  const { output, ...rest } = options;
  if (output !== undefined && output !== 'imagedata' && output !== 'canvas') {
    throw new WgsrError('BAD_ARGUMENT', `output must be "imagedata" or "canvas", got "${String(output)}"`);
  }
  if (!isBrowserImageSource(input)) {
    if (output !== undefined) {
      throw new WgsrError('BAD_ARGUMENT', 'output applies to browser images (ImageData, ImageBitmap, a canvas, an <img>, a Blob); a wgsr Image comes back as a wgsr Image');
    }
    return run(input, rest as O);
  }
  const result = await run(await imageFromSource(input, 'the input image'), rest as O);
  return output === 'canvas' ? imageToCanvas(result, 'the result') : imageToImageData(result, 'the result');
}
