import { at, tensor3, type Tensor3 } from './tensor.js';

/** F.pixel_unshuffle(x, r): out[c·r² + i·r + j, y, x] = in[c, y·r + i, x·r + j]. */
export function pixelUnshuffleRef(x: Tensor3, r: number): Tensor3 {
  const out = tensor3(x.channels * r * r, x.height / r, x.width / r);
  for (let c = 0; c < x.channels; c++)
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++)
        for (let y = 0; y < out.height; y++)
          for (let xo = 0; xo < out.width; xo++)
            out.data[((c * r * r + i * r + j) * out.height + y) * out.width + xo] = at(x, c, y * r + i, xo * r + j);
  return out;
}
