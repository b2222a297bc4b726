import { tensor4, type Tensor4 } from './tensor4.js';

/**
 * Nearest-neighbour upsampling by an integer factor f, batched, float64:
 *   y[b, c, Y, X] = x[b, c, ⌊Y/f⌋, ⌊X/f⌋]
 * Every input pixel feeds an f×f block of outputs, so its gradient is the sum over that block:
 *   gx[b, c, y, x] = Σ_{i, j < f} gy[b, c, y·f + i, x·f + j]
 */
export function upsampleNearestForward(x: Tensor4, f: number): Tensor4 {
  const y = tensor4(x.n, x.c, x.h * f, x.w * f);
  for (let p = 0; p < x.n * x.c; p++)
    for (let Y = 0; Y < y.h; Y++)
      for (let X = 0; X < y.w; X++) y.data[(p * y.h + Y) * y.w + X] = x.data[(p * x.h + Math.floor(Y / f)) * x.w + Math.floor(X / f)]!;
  return y;
}

export function upsampleNearestBackward(gy: Tensor4, f: number): Tensor4 {
  if (gy.h % f !== 0 || gy.w % f !== 0) throw new Error(`upsample backward: gy ${gy.h}×${gy.w} is not a multiple of ${f}`);
  const gx = tensor4(gy.n, gy.c, gy.h / f, gy.w / f);
  for (let p = 0; p < gy.n * gy.c; p++)
    for (let y = 0; y < gx.h; y++)
      for (let x = 0; x < gx.w; x++) {
        let sum = 0;
        for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) sum += gy.data[(p * gy.h + y * f + i) * gy.w + x * f + j]!;
        gx.data[(p * gx.h + y) * gx.w + x] = sum;
      }
  return gx;
}
