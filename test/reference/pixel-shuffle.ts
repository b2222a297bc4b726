import { at, tensor3, type Tensor3 } from './tensor.js';

/** F.pixel_shuffle(x, r): out[c, y·r + i, x·r + j] = in[c·r² + i·r + j, y, x]. */
export function pixelShuffleRef(x: Tensor3, r: number): Tensor3 {
  const out = tensor3(x.channels / (r * r), x.height * r, x.width * r);
  for (let c = 0; c < out.channels; c++)
    for (let y = 0; y < x.height; y++)
      for (let xi = 0; xi < x.width; xi++)
        for (let i = 0; i < r; i++)
          for (let j = 0; j < r; j++)
            out.data[(c * out.height + y * r + i) * out.width + xi * r + j] = at(x, c * r * r + i * r + j, y, xi);
  return out;
}
