import { afterEach, describe, expect, it, vi } from 'vitest';
import { upscaleAnyImage } from '../../src/browser/upscale-source.js';
import type { Image } from '../../src/image/types.js';
import { createUpscaler } from '../../src/runtime/node-upscaler.js';
import { defaultModel } from '../../src/runtime/default-model.js';

class FakeImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

afterEach(() => vi.unstubAllGlobals());

/** Stands in for the pipeline: records what it was given, returns a 2×1 RGB image. */
function fakePipeline() {
  const calls: { image: Image; options: { tile?: number } }[] = [];
  const result: Image = { width: 2, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const run = async (image: Image, options: { tile?: number }) => {
    calls.push({ image, options });
    return result;
  };
  return { calls, result, run };
}

describe("upscale's front door", () => {
  it('passes a wgsr Image through untouched and returns the wgsr Image', async () => {
    const { calls, result, run } = fakePipeline();
    const input: Image = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array(3) };
    await expect(upscaleAnyImage(run, input, { tile: 8 })).resolves.toBe(result);
    expect(calls[0]!.image).toBe(input);
    expect(calls[0]!.options).toEqual({ tile: 8 });
  });

  it('reads ImageData into RGB, runs it, and returns ImageData without passing `output` on', async () => {
    vi.stubGlobal('ImageData', FakeImageData);
    const { calls, run } = fakePipeline();
    const input = new FakeImageData(new Uint8ClampedArray([9, 8, 7, 255]), 1, 1) as unknown as ImageData;
    const out = (await upscaleAnyImage(run, input, { output: 'imagedata', tile: 4 })) as unknown as FakeImageData;
    expect(calls[0]!.image).toMatchObject({ width: 1, height: 1, channels: 3, data: new Uint8Array([9, 8, 7]) });
    expect(calls[0]!.options).toEqual({ tile: 4 });
    expect(out).toBeInstanceOf(FakeImageData);
    expect([...out.data]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('refuses a bad `output`, and `output` with a wgsr Image, before any work', async () => {
    const { calls, run } = fakePipeline();
    const input: Image = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array(3) };
    await expect(upscaleAnyImage(run, input, { output: 'png' } as never)).rejects.toThrow(/output must be "imagedata" or "canvas", got "png"/);
    await expect(upscaleAnyImage(run, input, { output: 'canvas' })).rejects.toThrow(/a wgsr Image comes back as a wgsr Image/);
    expect(calls).toEqual([]);
  });

  it('a canvas is asked for where the runtime has none: a clear error, not a ReferenceError', async () => {
    vi.stubGlobal('ImageData', FakeImageData);
    const { run } = fakePipeline();
    const input = new FakeImageData(new Uint8ClampedArray(4).fill(255), 1, 1) as unknown as ImageData;
    await expect(upscaleAnyImage(run, input, { output: 'canvas' })).rejects.toThrow(/no 2D canvas; ask for ImageData/);
  });
});

describe('Upscaler.upscale with ImageData (GPU)', () => {
  it('gives the same pixels as the same image passed as a wgsr Image', async () => {
    vi.stubGlobal('ImageData', FakeImageData);
    const up = await createUpscaler(defaultModel());
    try {
      const rgba = new Uint8ClampedArray(5 * 4 * 4);
      for (let i = 0; i < rgba.length; i++) rgba[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
      const viaImageData = (await up.upscale(new FakeImageData(rgba, 5, 4) as unknown as ImageData)) as unknown as FakeImageData;
      const rgb = new Uint8Array(5 * 4 * 3).map((_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]!);
      const direct = await up.upscale({ width: 5, height: 4, channels: 3, bitDepth: 8, data: rgb });
      expect([viaImageData.width, viaImageData.height]).toEqual([20, 16]);
      const expected = new Uint8ClampedArray(20 * 16 * 4).map((_, i) => (i % 4 === 3 ? 255 : direct.data[Math.floor(i / 4) * 3 + (i % 4)]!));
      expect(viaImageData.data).toEqual(expected);
    } finally {
      up.destroy();
    }
  });
});
