import { sameShape, tensor4, type Tensor4 } from './tensor4.js';
import { upsampleNearestBackward, upsampleNearestForward } from './upsample-nearest-grad.js';

/**
 * out = a·x + b·upsample_nearest(y, f) (f = 1: plain y), batched, float64: the graph's `add` and
 * the conv's folded residuals. Backward:
 *   gx = a·gout
 *   gy = b·(gout summed over each f×f block)
 */
export function scaledAddForward(a: number, x: Tensor4, b: number, y: Tensor4, f = 1): Tensor4 {
  const yu = f === 1 ? y : upsampleNearestForward(y, f);
  sameShape(x, yu, 'scaled add');
  const out = tensor4(x.n, x.c, x.h, x.w);
  x.data.forEach((v, i) => (out.data[i] = a * v + b * yu.data[i]!));
  return out;
}

export function scaledAddBackward(a: number, b: number, gout: Tensor4, f = 1): { gx: Tensor4; gy: Tensor4 } {
  const gx = tensor4(gout.n, gout.c, gout.h, gout.w, gout.data.map((g) => a * g));
  const gyFull = tensor4(gout.n, gout.c, gout.h, gout.w, gout.data.map((g) => b * g));
  return { gx, gy: f === 1 ? gyFull : upsampleNearestBackward(gyFull, f) };
}
