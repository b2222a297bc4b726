import { tensor4, type Tensor4 } from './tensor4.js';

/**
 * torch.cat(xs, dim=1), batched, float64: per image, the channels of each input in order. Its
 * backward hands each input its own channel slice of the gradient.
 */
export function concatForward(xs: readonly Tensor4[]): Tensor4 {
  const { n, h, w } = xs[0]!;
  for (const x of xs) if (x.n !== n || x.h !== h || x.w !== w) throw new Error('concat: inputs differ in batch or size');
  const c = xs.reduce((s, x) => s + x.c, 0);
  const out = tensor4(n, c, h, w);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    let at = b * c * plane;
    for (const x of xs) {
      out.data.set(x.data.subarray(b * x.c * plane, (b + 1) * x.c * plane), at);
      at += x.c * plane;
    }
  }
  return out;
}

/** The gradient of each input: channels [c0, c0 + channels[i]) of gout, per image. */
export function concatBackward(gout: Tensor4, channels: readonly number[]): Tensor4[] {
  if (channels.reduce((s, c) => s + c, 0) !== gout.c) throw new Error(`concat backward: channels ${channels.join('+')} ≠ ${gout.c}`);
  const plane = gout.h * gout.w;
  let c0 = 0;
  return channels.map((c) => {
    const g = tensor4(gout.n, c, gout.h, gout.w);
    for (let b = 0; b < gout.n; b++) g.data.set(gout.data.subarray((b * gout.c + c0) * plane, (b * gout.c + c0 + c) * plane), b * c * plane);
    c0 += c;
    return g;
  });
}
