import type { Image } from '../../src/image/types.js';

/** An image whose sample (x, y, c) is value(x, y, c). */
export function makeImage(
  width: number,
  height: number,
  channels: Image['channels'],
  bitDepth: 8 | 16,
  value: (x: number, y: number, c: number) => number,
): Image {
  const data = bitDepth === 8 ? new Uint8Array(width * height * channels) : new Uint16Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c);
    }
  }
  return { width, height, channels, bitDepth, data };
}

/** A deterministic pseudo-random sample in [0, max] (no Math.random: failures must reproduce). */
export function hashSample(x: number, y: number, c: number, max: number): number {
  let h = (x * 73856093) ^ (y * 19349663) ^ (c * 83492791);
  h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
  return ((h ^ (h >>> 15)) >>> 0) % (max + 1);
}

/** Nearest-neighbour ×s of an integer image: what an identity network must give back. */
export function nearestUpscale(image: Image, s: number): Image {
  const { width, height, channels } = image;
  return makeImage(width * s, height * s, channels, image.bitDepth, (x, y, c) =>
    image.data[(Math.floor(y / s) * width + Math.floor(x / s)) * channels + c]!,
  );
}

/** Samples of one channel, row-major. */
export function channel(image: Image, c: number): number[] {
  const out: number[] = [];
  for (let i = c; i < image.data.length; i += image.channels) out.push(image.data[i]!);
  return out;
}
