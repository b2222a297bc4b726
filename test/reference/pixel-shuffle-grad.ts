import { tensor4, type Tensor4 } from './tensor4.js';

/**
 * Pixel shuffle and unshuffle by r, batched, float64, forward and backward. Both are the same
 * permutation between a low-resolution [N, C·r², H, W] tensor and a high-resolution
 * [N, C, H·r, W·r] one (torch's layout):
 *   high[b, c, y·r + i, x·r + j]  ⟷  low[b, c·r² + i·r + j, y, x]
 * so each one's backward is the other's forward applied to the gradient.
 */
function forEachPair(n: number, c: number, h: number, w: number, r: number, visit: (low: number, high: number) => void): void {
  const H = h * r;
  const W = w * r;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < r; i++)
        for (let j = 0; j < r; j++) {
          const lowPlane = (b * c * r * r + ch * r * r + i * r + j) * h * w;
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) visit(lowPlane + y * w + x, ((b * c + ch) * H + y * r + i) * W + x * r + j);
        }
}

/** F.pixel_shuffle(x, r): [N, C·r², H, W] → [N, C, H·r, W·r]. */
export function pixelShuffleForward(x: Tensor4, r: number): Tensor4 {
  if (x.c % (r * r) !== 0) throw new Error(`pixel_shuffle(${r}): ${x.c} channels are not a multiple of ${r * r}`);
  const c = x.c / (r * r);
  const y = tensor4(x.n, c, x.h * r, x.w * r);
  forEachPair(x.n, c, x.h, x.w, r, (low, high) => (y.data[high] = x.data[low]!));
  return y;
}

/** dL/dx of pixel_shuffle: gy [N, C, H·r, W·r] → gx [N, C·r², H, W] (pixel_unshuffle of gy). */
export function pixelShuffleBackward(gy: Tensor4, r: number): Tensor4 {
  const gx = tensor4(gy.n, gy.c * r * r, gy.h / r, gy.w / r);
  forEachPair(gy.n, gy.c, gx.h, gx.w, r, (low, high) => (gx.data[low] = gy.data[high]!));
  return gx;
}

/** F.pixel_unshuffle(x, r): [N, C, H·r, W·r] → [N, C·r², H, W]. */
export function pixelUnshuffleForward(x: Tensor4, r: number): Tensor4 {
  if (x.h % r !== 0 || x.w % r !== 0) throw new Error(`pixel_unshuffle(${r}): size ${x.h}×${x.w} is not a multiple of ${r}`);
  const y = tensor4(x.n, x.c * r * r, x.h / r, x.w / r);
  forEachPair(x.n, x.c, y.h, y.w, r, (low, high) => (y.data[low] = x.data[high]!));
  return y;
}

/** dL/dx of pixel_unshuffle: gy [N, C·r², H, W] → gx [N, C, H·r, W·r] (pixel_shuffle of gy). */
export function pixelUnshuffleBackward(gy: Tensor4, r: number): Tensor4 {
  const c = gy.c / (r * r);
  const gx = tensor4(gy.n, c, gy.h * r, gy.w * r);
  forEachPair(gy.n, c, gy.h, gy.w, r, (low, high) => (gx.data[high] = gy.data[low]!));
  return gx;
}
