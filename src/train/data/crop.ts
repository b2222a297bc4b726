import type { Image } from '../../image/types.js';
import type { Rng } from '../../rng.js';

/**
 * BasicSR's augment (basicsr/data/transforms.py): a horizontal flip, a vertical flip and a
 * transpose, each with probability ½ (the last two only with rotations on); together they
 * reach all eight symmetries of the square (the 90° rotations among them). The same draw is
 * applied to LR and HR, so the pair stays aligned.
 */
export interface Augment {
  readonly hflip: boolean;
  readonly vflip: boolean;
  readonly transpose: boolean;
}

export const NO_AUGMENT: Augment = { hflip: false, vflip: false, transpose: false };

export function drawAugment(rng: Rng, hflip: boolean, rotate: boolean): Augment {
  return {
    hflip: hflip && rng.chance(0.5),
    vflip: rotate && rng.chance(0.5),
    transpose: rotate && rng.chance(0.5),
  };
}

/**
 * The side × side square of an RGB image at (left, top), augmented, as float planes [3, side,
 * side] in [0, 1], written into `out` at `offset`. Output pixel (x, y) is the flipped patch's
 * (y, x) when transposed; flips act first, as BasicSR applies them.
 */
export function cropPlanes(image: Image, left: number, top: number, side: number, aug: Augment, out: Float32Array, offset: number): void {
  const max = image.bitDepth === 16 ? 65535 : 255;
  const plane = side * side;
  const data = image.data;
  for (let oy = 0; oy < side; oy++) {
    for (let ox = 0; ox < side; ox++) {
      const ay = aug.transpose ? ox : oy;
      const ax = aug.transpose ? oy : ox;
      const py = aug.vflip ? side - 1 - ay : ay;
      const px = aug.hflip ? side - 1 - ax : ax;
      const from = ((top + py) * image.width + left + px) * 3;
      const to = offset + oy * side + ox;
      out[to] = data[from]! / max;
      out[to + plane] = data[from + 1]! / max;
      out[to + 2 * plane] = data[from + 2]! / max;
    }
  }
}
