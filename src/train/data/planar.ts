import { WgsrError } from '../../errors.js';
import { roundHalfEven } from '../../image/quantize.js';
import type { Image } from '../../image/types.js';

/**
 * One image as float planes, channel-first ([C, H, W], row-major), values nominally in [0, 1]:
 * the form the degradations work on and batches are stacked from.
 */
export interface Planar {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export function planar(channels: number, height: number, width: number, data?: Float32Array): Planar {
  return { channels, height, width, data: data ?? new Float32Array(channels * height * width) };
}

/** Clamps to [0, 1] in place (Real-ESRGAN's clip after noise and before JPEG). */
export function clampUnit(image: Planar): Planar {
  const d = image.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    d[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return image;
}

/** round(x·255) (half to even, as torch.round) clamped to 0…255, divided by 255, in place: the 8-bit grid every LR image ends on. */
export function quantise8(image: Planar): Planar {
  const d = image.data;
  for (let i = 0; i < d.length; i++) {
    const v = roundHalfEven(Math.fround(d[i]! * 255)); // float32 product, as torch computes it
    d[i] = (v < 0 ? 0 : v > 255 ? 255 : v) / 255;
  }
  return image;
}

/** An RGB (or gray) image's samples as planes in [0, 1] (v/255 or v/65535). */
export function imageToPlanar(image: Image): Planar {
  const { width, height, channels } = image;
  const max = image.bitDepth === 16 ? 65535 : 255;
  const out = planar(channels, height, width);
  const size = width * height;
  for (let c = 0; c < channels; c++) for (let i = 0; i < size; i++) out.data[c * size + i] = image.data[i * channels + c]! / max;
  return out;
}

/** Planes in [0, 1] as an 8-bit interleaved image: round(x·255), half to even, clamped. */
export function planarToImage8(p: Planar): Image {
  if (p.channels !== 1 && p.channels !== 3) throw new WgsrError('BAD_ARGUMENT', `an image has 1 or 3 colour channels, not ${p.channels}`);
  const size = p.width * p.height;
  const data = new Uint8Array(size * p.channels);
  for (let c = 0; c < p.channels; c++) {
    for (let i = 0; i < size; i++) {
      const v = roundHalfEven(Math.fround(p.data[c * size + i]! * 255));
      data[i * p.channels + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { width: p.width, height: p.height, channels: p.channels, bitDepth: 8, data };
}
