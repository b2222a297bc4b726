import { tensor3, type Tensor3 } from './tensor.js';

/** torch.cat(xs, dim=1): channels of each input in order. */
export function concatRef(xs: readonly Tensor3[]): Tensor3 {
  const { height, width } = xs[0]!;
  const out = tensor3(xs.reduce((n, x) => n + x.channels, 0), height, width);
  let at = 0;
  for (const x of xs) {
    out.data.set(x.data, at);
    at += x.data.length;
  }
  return out;
}
