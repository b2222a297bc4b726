import { at, tensor3, type Tensor3 } from './tensor.js';

/** F.interpolate(x, scale_factor=f, mode='nearest') for an integer f: out(y, x) = in(y / f, x / f). */
export function upsampleNearestRef(x: Tensor3, f: number): Tensor3 {
  const out = tensor3(x.channels, x.height * f, x.width * f);
  for (let c = 0; c < out.channels; c++)
    for (let y = 0; y < out.height; y++)
      for (let xo = 0; xo < out.width; xo++) out.data[(c * out.height + y) * out.width + xo] = at(x, c, Math.floor(y / f), Math.floor(xo / f));
  return out;
}
