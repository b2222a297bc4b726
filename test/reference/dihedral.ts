import type { Dihedral } from '../../src/kernels/dihedral.js';
import { tensor3, type Tensor3 } from './tensor.js';

/**
 * The eight dihedral transforms on the CPU, written independently of the kernels' index
 * formulas: transpose the [C, H, W] planes if asked, then mirror rows (flipY) and columns
 * (flipX), as numpy's `np.flip(np.transpose(x, (0, 2, 1)) if t else x, axes)` would.
 */
export function dihedralRef(x: Tensor3, t: Dihedral): Tensor3 {
  let cur = x;
  if (t.transpose) {
    const out = tensor3(cur.channels, cur.width, cur.height);
    for (let c = 0; c < cur.channels; c++)
      for (let y = 0; y < cur.height; y++)
        for (let xx = 0; xx < cur.width; xx++) out.data[(c * out.height + xx) * out.width + y] = cur.data[(c * cur.height + y) * cur.width + xx]!;
    cur = out;
  }
  const out = tensor3(cur.channels, cur.height, cur.width);
  for (let c = 0; c < cur.channels; c++)
    for (let y = 0; y < cur.height; y++)
      for (let xx = 0; xx < cur.width; xx++) {
        const sy = t.flipY ? cur.height - 1 - y : y;
        const sx = t.flipX ? cur.width - 1 - xx : xx;
        out.data[(c * cur.height + y) * cur.width + xx] = cur.data[(c * cur.height + sy) * cur.width + sx]!;
      }
  return out;
}

/** The inverse transform: undo the flips, then the transpose. */
export function dihedralInverseRef(x: Tensor3, t: Dihedral): Tensor3 {
  const unflipped = dihedralRef(x, { transpose: false, flipY: t.flipY, flipX: t.flipX });
  return t.transpose ? dihedralRef(unflipped, { transpose: true, flipY: false, flipX: false }) : unflipped;
}
