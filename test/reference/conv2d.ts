import { tensor3, at, type Tensor3 } from './tensor.js';

/**
 * torch.nn.functional.conv2d with stride 1, padding k // 2, dilation 1, groups 1.
 * Weight [cout, cin, k, k]. Sums in float64, so it is at least as accurate as any f32 kernel.
 */
export function conv2dRef(x: Tensor3, weight: Float32Array, shape: readonly number[], bias?: Float32Array): Tensor3 {
  const [cout, cin, k] = shape as [number, number, number];
  if (cin !== x.channels) throw new Error(`conv2dRef: weight expects ${cin} channels, input has ${x.channels}`);
  const pad = (k - 1) / 2;
  const out = tensor3(cout, x.height, x.width);
  for (let co = 0; co < cout; co++) {
    for (let y = 0; y < x.height; y++) {
      for (let xo = 0; xo < x.width; xo++) {
        let sum = bias ? bias[co]! : 0;
        for (let ci = 0; ci < cin; ci++) {
          for (let ky = 0; ky < k; ky++) {
            const iy = y + ky - pad;
            if (iy < 0 || iy >= x.height) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = xo + kx - pad;
              if (ix < 0 || ix >= x.width) continue;
              sum += weight[((co * cin + ci) * k + ky) * k + kx]! * at(x, ci, iy, ix);
            }
          }
        }
        out.data[(co * x.height + y) * x.width + xo] = sum;
      }
    }
  }
  return out;
}

/**
 * Sum of |w·x| over each output's terms: the scale of the rounding error an f32 sum of those
 * terms can make, whatever the order (the result itself can be near zero by cancellation).
 */
export function conv2dAbsRef(x: Tensor3, weight: Float32Array, shape: readonly number[], bias?: Float32Array): Tensor3 {
  const abs = (a: Float32Array) => a.map(Math.abs);
  return conv2dRef({ ...x, data: abs(x.data) }, abs(weight), shape, bias && abs(bias));
}
