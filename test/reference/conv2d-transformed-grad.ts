import { conv2dBackward, conv2dForward, type Conv2dGrads } from './conv2d-grad.js';
import { pixelUnshuffleBackward, pixelUnshuffleForward } from './pixel-shuffle-grad.js';
import type { Floats, Tensor4 } from './tensor4.js';
import { upsampleNearestBackward, upsampleNearestForward } from './upsample-nearest-grad.js';

/**
 * The conv of the inference engine's fused input transforms: it reads T(x), with T a nearest
 * upsampling ×f or a pixel unshuffle ×f, without materialising T(x). (Same shape as the graph
 * IR's InputTransform.)
 */
export type ConvInputTransform =
  | { kind: 'none' }
  | { kind: 'upsample_nearest'; factor: number }
  | { kind: 'pixel_unshuffle'; factor: number };

export function applyInputTransform(x: Tensor4, t: ConvInputTransform): Tensor4 {
  if (t.kind === 'upsample_nearest') return upsampleNearestForward(x, t.factor);
  if (t.kind === 'pixel_unshuffle') return pixelUnshuffleForward(x, t.factor);
  return x;
}

/** Takes a gradient w.r.t. T(x) back to x: T's transpose (block sum, or pixel shuffle). */
export function inputTransformBackward(gt: Tensor4, t: ConvInputTransform): Tensor4 {
  if (t.kind === 'upsample_nearest') return upsampleNearestBackward(gt, t.factor);
  if (t.kind === 'pixel_unshuffle') return pixelUnshuffleBackward(gt, t.factor);
  return gt;
}

/** y = conv2d(T(x), weight, bias) for the untransformed x. */
export function conv2dTransformedForward(x: Tensor4, t: ConvInputTransform, weight: Floats, shape: readonly number[], bias?: Floats): Tensor4 {
  return conv2dForward(applyInputTransform(x, t), weight, shape, bias);
}

/**
 * Gradients of conv2d(T(x)) given gy: gx is w.r.t. the UNtransformed x (the value the graph
 * holds), so for an upsampling ×f it is the conv's input gradient summed over each f×f block,
 * and for an unshuffle ×f the conv's input gradient pixel-shuffled back to full size. The weight
 * gradient correlates gy with T(x).
 */
export function conv2dTransformedBackward(x: Tensor4, t: ConvInputTransform, weight: Floats, shape: readonly number[], gy: Tensor4): Conv2dGrads {
  const g = conv2dBackward(applyInputTransform(x, t), weight, shape, gy);
  return { ...g, gx: inputTransformBackward(g.gx, t) };
}
