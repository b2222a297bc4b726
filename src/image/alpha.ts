import type { Image } from './types.js';
import type { OutputRows } from './tensor.js';
import { linearAxis } from './resize.js';
import { unitToSample } from './quantize.js';
import { maxValue } from './validate.js';

/**
 * The alpha plane outside the network. Real-ESRGAN upscales alpha either with the network (as
 * a gray image, see passes.ts) or with cv2.resize INTER_LINEAR (alpha_upsampler != 'realesrgan');
 * the second one lives here, with the shortcut for an alpha that is opaque everywhere.
 */

/** True when every alpha sample is the maximum: then the output alpha is exactly the maximum. */
export function isOpaque(image: Image, channel: number): boolean {
  const max = maxValue(image.bitDepth);
  const { data, channels } = image;
  for (let i = channel; i < data.length; i += channels) if (data[i] !== max) return false;
  return true;
}

/** Sets one channel of every pixel to `value`. */
export function fillChannel(image: Image, channel: number, value: number): void {
  const { data, channels } = image;
  for (let i = channel; i < data.length; i += channels) data[i] = value;
}

/**
 * Upscales channel `channel` of `src` bilinearly into the same channel of `out` (which is
 * larger), as `cv2.resize(alpha / max, (w·s, h·s), INTER_LINEAR)` followed by
 * `round(x · max)` does in float32. Row by row; only two filtered source rows are held.
 * Only output rows [y0, y1) are written (a streamed band: each row depends only on `src`).
 */
export function resizeAlphaLinear(src: Image, channel: number, out: OutputRows, y0 = 0, y1 = out.height): void {
  const max = maxValue(src.bitDepth);
  const h = linearAxis(src.width, out.width, true);
  const v = linearAxis(src.height, out.height, false);
  const cache: { y: number; row: Float32Array }[] = [];
  const filteredRow = (y: number): Float32Array => {
    const hit = cache.find((c) => c.y === y);
    if (hit) return hit.row;
    const row = new Float32Array(out.width);
    const base = y * src.width * src.channels + channel;
    const sample = (x: number) => Math.fround(src.data[base + x * src.channels]! / max);
    for (let x = 0; x < out.width; x++) {
      row[x] = Math.fround(sample(h.index0[x]!) * h.weight0[x]!) + Math.fround(sample(h.index1[x]!) * h.weight1[x]!);
    }
    if (cache.length === 2) cache.shift();
    cache.push({ y, row });
    return row;
  };
  for (let y = y0; y < y1; y++) {
    const r0 = filteredRow(v.index0[y]!);
    const r1 = filteredRow(v.index1[y]!);
    const b0 = v.weight0[y]!;
    const b1 = v.weight1[y]!;
    const o = (y - out.origin) * out.width * out.channels + channel;
    for (let x = 0; x < out.width; x++) {
      const a = Math.fround(Math.fround(r0[x]! * b0) + Math.fround(r1[x]! * b1));
      out.data[o + x * out.channels] = unitToSample(a, max);
    }
  }
}
