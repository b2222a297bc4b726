import { afterEach, describe, expect, it, vi } from 'vitest';
import { imageToImageData, imageToRgba } from '../../src/browser/image-data.js';
import { imageFromRgba, imageFromSource, isBrowserImageSource } from '../../src/browser/sources.js';
import type { Image } from '../../src/image/types.js';

/** The browser's ImageData, as far as the conversions use it (Node has none). */
class FakeImageData {
  readonly colorSpace = 'srgb';
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

afterEach(() => vi.unstubAllGlobals());

describe('browser images → wgsr Image', () => {
  it('keeps an opaque image as RGB, exactly', () => {
    const rgba = new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 255]);
    const image = imageFromRgba(rgba, 2, 1);
    expect(image).toMatchObject({ width: 2, height: 1, channels: 3, bitDepth: 8 });
    expect([...image.data]).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('keeps RGBA when any pixel is not opaque, as a copy of the caller’s bytes', () => {
    const rgba = new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 0]);
    const image = imageFromRgba(rgba, 2, 1);
    expect(image.channels).toBe(4);
    expect([...image.data]).toEqual([...rgba]);
    rgba[0] = 99;
    expect(image.data[0]).toBe(10);
  });

  it('reads ImageData where the runtime has it, and tells other values apart', async () => {
    vi.stubGlobal('ImageData', FakeImageData);
    const pixels = new FakeImageData(new Uint8ClampedArray([1, 2, 3, 255]), 1, 1);
    expect(isBrowserImageSource(pixels)).toBe(true);
    expect(isBrowserImageSource({ width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array(3) })).toBe(false);
    const image = await imageFromSource(pixels as unknown as ImageData);
    expect([...image.data]).toEqual([1, 2, 3]);
    await expect(imageFromSource('photo.png' as unknown as Blob)).rejects.toThrow(/expected ImageData, an ImageBitmap, a canvas, an <img> or a Blob, got the string "photo.png"/);
  });

  it('refuses a Blob where there is no createImageBitmap, pointing to wgsr/node', async () => {
    expect(typeof (globalThis as { createImageBitmap?: unknown }).createImageBitmap).toBe('undefined');
    await expect(imageFromSource(new Blob([new Uint8Array(8)]))).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringContaining('decodeImageAsync from "wgsr/node"'),
    });
  });
});

describe('wgsr Image → RGBA', () => {
  it('spreads gray, fills a missing alpha with 255 and keeps a present one', () => {
    const gray: Image = { width: 2, height: 1, channels: 1, bitDepth: 8, data: new Uint8Array([7, 200]) };
    expect([...imageToRgba(gray)]).toEqual([7, 7, 7, 255, 200, 200, 200, 255]);
    const grayAlpha: Image = { width: 1, height: 1, channels: 2, bitDepth: 8, data: new Uint8Array([9, 100]) };
    expect([...imageToRgba(grayAlpha)]).toEqual([9, 9, 9, 100]);
    const rgb: Image = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([1, 2, 3]) };
    expect([...imageToRgba(rgb)]).toEqual([1, 2, 3, 255]);
    const rgba: Image = { width: 1, height: 1, channels: 4, bitDepth: 8, data: new Uint8Array([1, 2, 3, 4]) };
    expect([...imageToRgba(rgba)]).toEqual([1, 2, 3, 4]);
  });

  it('rounds 16-bit samples to 8 bits (v / 257)', () => {
    const deep: Image = { width: 1, height: 1, channels: 4, bitDepth: 16, data: new Uint16Array([65535, 257, 128, 129]) };
    // 128 / 257 = 0.498 → 0; 129 / 257 = 0.502 → 1.
    expect([...imageToRgba(deep)]).toEqual([255, 1, 0, 1]);
  });

  it('refuses a malformed image by name, and ImageData where the runtime has none', () => {
    const short: Image = { width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(3) };
    expect(() => imageToRgba(short, 'the result')).toThrow(/the result: data has 3 values but 2×2×3 needs 12/);
    const ok: Image = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array(3) };
    expect(() => imageToImageData(ok)).toThrow(/ImageData exists only in browsers/);
    vi.stubGlobal('ImageData', FakeImageData);
    const made = imageToImageData(ok) as unknown as FakeImageData;
    expect(made).toBeInstanceOf(FakeImageData);
    expect([made.width, made.height, ...made.data]).toEqual([1, 1, 0, 0, 0, 255]);
  });
});
