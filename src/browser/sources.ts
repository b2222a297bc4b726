import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { isInstanceOf, newCanvas } from './globals.js';

/** The browser's images that upscale takes besides a wgsr Image (a File is a Blob). */
export type BrowserImageSource = ImageData | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement | Blob;

/** Drawable sources, by their global class names. */
const DRAWABLE = ['ImageBitmap', 'HTMLCanvasElement', 'OffscreenCanvas', 'HTMLImageElement'] as const;

/** Whether `value` is one of the browser images of BrowserImageSource (false in runtimes without them). */
export function isBrowserImageSource(value: unknown): value is BrowserImageSource {
  return isInstanceOf(value, 'ImageData') || isInstanceOf(value, 'Blob') || DRAWABLE.some((name) => isInstanceOf(value, name));
}

/**
 * A wgsr Image from a browser image: RGB when every pixel is opaque (so no alpha pass runs),
 * else RGBA; 8-bit. A Blob is decoded by the browser (createImageBitmap) without colour-space
 * conversion or premultiplication, so the values are the file's own. Pixels read back through
 * a 2D canvas (bitmaps, canvases, images) are stored premultiplied by the browser: a
 * semi-transparent pixel's colour may move by a level or so; ImageData and opaque images are exact.
 */
export async function imageFromSource(source: BrowserImageSource, what = 'the image'): Promise<Image> {
  if (isInstanceOf(source, 'ImageData')) {
    const { data, width, height } = source as ImageData;
    return imageFromRgba(data, width, height);
  }
  if (isInstanceOf(source, 'Blob')) return imageFromBlob(source as Blob, what);
  if (DRAWABLE.some((name) => isInstanceOf(source, name))) return imageFromDrawable(source as CanvasImageSource & { width: number; height: number }, what);
  throw new WgsrError('BAD_ARGUMENT', `${what}: expected ImageData, an ImageBitmap, a canvas, an <img> or a Blob, got ${describe(source)}`);
}

/** Takes the RGBA bytes as RGB when all alpha is 255 (a copy either way: the caller's buffer is never kept). */
export function imageFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Image {
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  if (!opaque) return { width, height, channels: 4, bitDepth: 8, data: new Uint8Array(rgba) };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return { width, height, channels: 3, bitDepth: 8, data: rgb };
}

async function imageFromBlob(blob: Blob, what: string): Promise<Image> {
  const decode = (globalThis as { createImageBitmap?: typeof createImageBitmap }).createImageBitmap;
  if (!decode) {
    throw new WgsrError('BAD_ARGUMENT', `${what}: decoding a Blob needs createImageBitmap (browsers and their workers); in Node, Bun or Deno use readImage or decodeImageAsync from "wgsr/node"`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await decode(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    const type = blob.type ? ` (${blob.type})` : '';
    throw new WgsrError('BAD_IMAGE', `${what}${type}: this browser cannot decode it as an image (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  try {
    return imageFromDrawable(bitmap, what);
  } finally {
    bitmap.close();
  }
}

function imageFromDrawable(source: CanvasImageSource & { width: number; height: number }, what: string): Image {
  const img = source as { naturalWidth?: number; naturalHeight?: number };
  const width = img.naturalWidth || source.width;
  const height = img.naturalHeight || source.height;
  if (!(width > 0 && height > 0)) throw new WgsrError('BAD_IMAGE', `${what}: it has no pixels (${width}×${height}; an <img> that has not loaded yet?)`);
  const canvas = newCanvas(width, height, 'offscreen');
  const context = canvas?.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null | undefined;
  if (!canvas || !context) throw new WgsrError('BAD_ARGUMENT', `${what}: this runtime has no 2D canvas to read the pixels with; pass ImageData`);
  context.drawImage(source, 0, 0);
  return imageFromRgba(context.getImageData(0, 0, width, height).data, width, height);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value === 'string' ? `the string "${value.slice(0, 60)}"` : typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}
