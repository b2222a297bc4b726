import { upsampleNearestRef } from './upsample-nearest.js';
import type { Tensor3 } from './tensor.js';

/** a·x + b·upsample_nearest(y, f) (f = 1: plain y). */
export function scaledAddRef(a: number, x: Tensor3, b: number, y: Tensor3, f = 1): Tensor3 {
  const yu = f === 1 ? y : upsampleNearestRef(y, f);
  return { ...x, data: x.data.map((v, i) => a * v + b * yu.data[i]!) };
}
