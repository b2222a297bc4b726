import { WgsrError } from '../../errors.js';
import { imresize, imresizeFloat } from '../../eval/imresize.js';
import { cropImage, dropAlpha, modCrop } from '../../eval/score.js';
import type { Image } from '../../image/types.js';

/**
 * The images a training set holds, as they are kept in memory: 8- or 16-bit RGB, interleaved
 * (3 or 6 bytes a pixel, a quarter of what float planes would take). Gray images are
 * replicated to RGB and alpha is dropped, as BasicSR's loader does (cv2.imread in colour mode).
 */
export interface TrainingPair {
  /** For messages: the HR file's name. */
  readonly name: string;
  readonly hr: Image;
  /** The LR image, when the set is paired (or made by the bicubic downscale). */
  readonly lr?: Image;
}

/** A pair ready to crop from: RGB, and HR exactly `scale` times the LR (or the LR grid HR/scale). */
export interface PreparedPair {
  readonly name: string;
  readonly hr: Image;
  readonly lr?: Image;
  /** The LR grid crops are chosen on: the LR image's size, or ⌊HR/scale⌋ when there is none. */
  readonly lrWidth: number;
  readonly lrHeight: number;
}

/** RGB without alpha; gray replicated to three channels. */
export function toRgb(image: Image): Image {
  const opaque = dropAlpha(image);
  if (opaque.channels === 3) return opaque;
  const n = opaque.width * opaque.height;
  const data = opaque.bitDepth === 8 ? new Uint8Array(n * 3) : new Uint16Array(n * 3);
  for (let i = 0; i < n; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = opaque.data[i]!;
  return { ...opaque, channels: 3, data };
}

/**
 * The LR image of an HR image by the MATLAB-style bicubic downscale `wgsr eval` uses (the one
 * that made DIV2K's LR_bicubic), after cropping HR to a multiple of the scale. 16-bit images
 * are resized in float and rounded to 16 bits.
 */
export function bicubicLr(hr: Image, scale: number): Image {
  const cropped = modCrop(hr, scale);
  if (cropped.bitDepth === 8) return imresize(cropped, 1 / scale);
  const { width, height, channels } = cropped;
  const r = imresizeFloat({ width, height, channels, data: Float64Array.from(cropped.data) }, 1 / scale);
  const data = Uint16Array.from(r.data, (v) => (v <= 0 ? 0 : v >= 65535 ? 65535 : Math.round(v)));
  return { width: r.width, height: r.height, channels, bitDepth: 16, data };
}

/**
 * Whether an LR side matches its HR side at `scale`: ⌊HR/scale⌋ (a downscale that drops the
 * remainder) or ⌈HR/scale⌉ (MATLAB's imresize, which made DIV2K's LR). Both grids start at the
 * top-left corner, so the common ⌊HR/scale⌋ LR pixels align.
 */
export function lrSideFits(hr: number, lr: number, scale: number): boolean {
  return lr === Math.floor(hr / scale) || lr === Math.ceil(hr / scale);
}

interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * Checks an HR size (and its LR image's, in a paired set) against the scale and the LR patch
 * side, with an error naming the file; returns the LR grid crops are chosen on.
 */
export function checkPairSizes(name: string, hr: Size, lr: Size | undefined, scale: number, patch: number): { lrWidth: number; lrHeight: number } {
  if (lr && !(lrSideFits(hr.width, lr.width, scale) && lrSideFits(hr.height, lr.height, scale))) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: the HR image is ${hr.width}×${hr.height} and its LR image ${lr.width}×${lr.height}, which is not ×${scale} (expected ${Math.floor(hr.width / scale)}×${Math.floor(hr.height / scale)}); check the scale and the pairing of the folders`,
    );
  }
  const lrWidth = Math.floor(hr.width / scale);
  const lrHeight = Math.floor(hr.height / scale);
  if (lrWidth < patch || lrHeight < patch) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: ${hr.width}×${hr.height} is too small for ${patch}×${patch} LR patches at ×${scale} (it needs at least ${patch * scale}×${patch * scale}); remove it or use smaller patches`,
    );
  }
  return { lrWidth, lrHeight };
}

/** Checks a pair's sizes against the scale and the patch and crops it to the aligned region. */
export function preparePair(pair: TrainingPair, scale: number, patch: number): PreparedPair {
  const hr = toRgb(pair.hr);
  const lr = pair.lr && toRgb(pair.lr);
  const { lrWidth, lrHeight } = checkPairSizes(pair.name, hr, lr, scale, patch);
  return {
    name: pair.name,
    hr: cropImage(hr, lrWidth * scale, lrHeight * scale),
    lr: lr && cropImage(lr, lrWidth, lrHeight),
    lrWidth,
    lrHeight,
  };
}

/**
 * Where a run's LR images come from: 'none', the paired LR folder as it is; 'bicubic', the
 * MATLAB-style downscale of each HR image, made once; 'realesrgan', Real-ESRGAN's
 * degradations of each HR crop, made anew for every sample.
 */
export type DegradeMode = 'none' | 'bicubic' | 'realesrgan';

/**
 * A pair as the given mode trains on it: checked, cropped to the aligned region, LR made when the
 * mode makes it. `keepCleanLr` makes the bicubic LR for degrade 'realesrgan' too, for a run that
 * mixes clean samples in (the sampler's cleanProb).
 */
export function prepareTrainingPair(pair: TrainingPair, scale: number, patch: number, degrade: DegradeMode, keepCleanLr = false): PreparedPair {
  if (degrade === 'none' && !pair.lr) {
    throw new WgsrError('BAD_ARGUMENT', `${pair.name} has no LR image: give the LR folder, or let wgsr make LR (degrade bicubic or realesrgan)`);
  }
  if (degrade !== 'none' && pair.lr) {
    throw new WgsrError('BAD_ARGUMENT', `degrade ${degrade} makes the LR images from HR, yet LR images were given too (${pair.name}); drop one of the two`);
  }
  const lr = degrade === 'bicubic' || (degrade === 'realesrgan' && keepCleanLr) ? bicubicLr(toRgb(pair.hr), scale) : pair.lr;
  return preparePair({ ...pair, lr }, scale, patch);
}

/** Bytes an image takes in memory. */
export function imageBytes(image: { width: number; height: number; channels: number; bitDepth: 8 | 16 }): number {
  return image.width * image.height * image.channels * (image.bitDepth / 8);
}
