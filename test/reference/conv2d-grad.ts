import { tensor4, type Floats, type Tensor4 } from './tensor4.js';

/**
 * conv2d with stride 1, "same" zero padding (k // 2), dilation 1, groups 1, batched and in
 * float64, and its gradients. Weight layout [cout, cin, k, k] (PyTorch's); k odd.
 *
 *   y[b, o, y, x]  = bias[o] + Σ_{i, ky, kx} w[o, i, ky, kx] · x[b, i, y + ky − p, x + kx − p]
 *
 * "Gradient" means dL/d· for any L given dL/dy = gy (the fixtures use L = Σ y·gy):
 *   gx[b, i, y, x]   = Σ_{o, ky, kx} w[o, i, ky, kx] · gy[b, o, y − ky + p, x − kx + p]
 *   gw[o, i, ky, kx] = Σ_{b, y, x} gy[b, o, y, x] · x[b, i, y + ky − p, x + kx − p]
 *   gbias[o]         = Σ_{b, y, x} gy[b, o, y, x]
 * Taps that fall in the padding contribute nothing, in both directions.
 */
export interface ConvShape {
  cout: number;
  cin: number;
  k: number;
}

export function convShape(shape: readonly number[]): ConvShape {
  const [cout, cin, k, k2] = shape as [number, number, number, number];
  if (shape.length !== 4 || k !== k2 || k % 2 !== 1) throw new Error(`conv weight shape [${shape.join(', ')}]: expected [cout, cin, k, k] with k odd`);
  return { cout, cin, k };
}

/**
 * The output rows/columns o for which input row/column o + d is inside [0, size): the loops
 * below visit only those, so no tap reads the padding.
 */
function validRange(d: number, size: number): [number, number] {
  return [Math.max(0, -d), Math.min(size, size - d)];
}

export function conv2dForward(x: Tensor4, weight: Floats, shape: readonly number[], bias?: Floats): Tensor4 {
  const { cout, cin, k } = convShape(shape);
  if (cin !== x.c) throw new Error(`conv2dForward: weight expects ${cin} channels, input has ${x.c}`);
  const p = (k - 1) / 2;
  const { h, w } = x;
  const out = tensor4(x.n, cout, h, w);
  const plane = h * w;
  for (let b = 0; b < x.n; b++) {
    for (let o = 0; o < cout; o++) {
      const yBase = (b * cout + o) * plane;
      if (bias) out.data.fill(bias[o]!, yBase, yBase + plane);
      for (let i = 0; i < cin; i++) {
        const xBase = (b * cin + i) * plane;
        for (let ky = 0; ky < k; ky++) {
          const [y0, y1] = validRange(ky - p, h);
          for (let kx = 0; kx < k; kx++) {
            const [x0, x1] = validRange(kx - p, w);
            const wv = weight[((o * cin + i) * k + ky) * k + kx]!;
            for (let yy = y0; yy < y1; yy++) {
              const yRow = yBase + yy * w;
              const xRow = xBase + (yy + ky - p) * w + kx - p;
              for (let xx = x0; xx < x1; xx++) out.data[yRow + xx] += wv * x.data[xRow + xx]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/** dL/dx: the transposed convolution of gy with the same weights. */
export function conv2dInputGrad(gy: Tensor4, weight: Floats, shape: readonly number[]): Tensor4 {
  const { cout, cin, k } = convShape(shape);
  if (cout !== gy.c) throw new Error(`conv2dInputGrad: weight has ${cout} outputs, gy has ${gy.c} channels`);
  const p = (k - 1) / 2;
  const { h, w } = gy;
  const gx = tensor4(gy.n, cin, h, w);
  const plane = h * w;
  for (let b = 0; b < gy.n; b++) {
    for (let o = 0; o < cout; o++) {
      const gyBase = (b * cout + o) * plane;
      for (let i = 0; i < cin; i++) {
        const gxBase = (b * cin + i) * plane;
        for (let ky = 0; ky < k; ky++) {
          const [y0, y1] = validRange(ky - p, h);
          for (let kx = 0; kx < k; kx++) {
            const [x0, x1] = validRange(kx - p, w);
            const wv = weight[((o * cin + i) * k + ky) * k + kx]!;
            // Output (yy, xx) read input (yy + ky − p, xx + kx − p): send gy back there.
            for (let yy = y0; yy < y1; yy++) {
              const gyRow = gyBase + yy * w;
              const gxRow = gxBase + (yy + ky - p) * w + kx - p;
              for (let xx = x0; xx < x1; xx++) gx.data[gxRow + xx] += wv * gy.data[gyRow + xx]!;
            }
          }
        }
      }
    }
  }
  return gx;
}

/** dL/dweight, summed over the batch and every pixel; layout [cout, cin, k, k]. */
export function conv2dWeightGrad(x: Tensor4, gy: Tensor4, k: number): Float64Array {
  if (x.n !== gy.n || x.h !== gy.h || x.w !== gy.w) throw new Error('conv2dWeightGrad: x and gy differ in batch or size');
  const cin = x.c;
  const cout = gy.c;
  const p = (k - 1) / 2;
  const { h, w } = x;
  const plane = h * w;
  const gw = new Float64Array(cout * cin * k * k);
  for (let b = 0; b < x.n; b++) {
    for (let o = 0; o < cout; o++) {
      const gyBase = (b * cout + o) * plane;
      for (let i = 0; i < cin; i++) {
        const xBase = (b * cin + i) * plane;
        for (let ky = 0; ky < k; ky++) {
          const [y0, y1] = validRange(ky - p, h);
          for (let kx = 0; kx < k; kx++) {
            const [x0, x1] = validRange(kx - p, w);
            let sum = 0;
            for (let yy = y0; yy < y1; yy++) {
              const gyRow = gyBase + yy * w;
              const xRow = xBase + (yy + ky - p) * w + kx - p;
              for (let xx = x0; xx < x1; xx++) sum += gy.data[gyRow + xx]! * x.data[xRow + xx]!;
            }
            gw[((o * cin + i) * k + ky) * k + kx] += sum;
          }
        }
      }
    }
  }
  return gw;
}

/** dL/dbias: gy summed over the batch and every pixel, per output channel. */
export function conv2dBiasGrad(gy: Tensor4): Float64Array {
  const gb = new Float64Array(gy.c);
  const plane = gy.h * gy.w;
  for (let b = 0; b < gy.n; b++)
    for (let o = 0; o < gy.c; o++) {
      const base = (b * gy.c + o) * plane;
      for (let j = 0; j < plane; j++) gb[o] += gy.data[base + j]!;
    }
  return gb;
}

export interface Conv2dGrads {
  gx: Tensor4;
  gweight: Float64Array;
  gbias: Float64Array;
}

/** All three gradients of conv2dForward(x, weight, shape, bias) given gy. */
export function conv2dBackward(x: Tensor4, weight: Floats, shape: readonly number[], gy: Tensor4): Conv2dGrads {
  const { k } = convShape(shape);
  return { gx: conv2dInputGrad(gy, weight, shape), gweight: conv2dWeightGrad(x, gy, k), gbias: conv2dBiasGrad(gy) };
}
