import { normalise, type BlurKernel } from './kernels.js';

/**
 * The Bessel function J₁. From its integral form J₁(x) = (1/2π)∫_{−π}^{π} cos(τ − x·sin τ) dτ,
 * by the trapezoidal rule over one period: for a periodic analytic integrand its error is of the
 * order of J₁±N(x), which for N = 128 points and |x| ≤ 60 is below 1e−20 — double precision
 * throughout the range the sinc kernels use (|x| ≤ π·10·√2 ≈ 44.4).
 */
const BESSEL_POINTS = 128;
export function besselJ1(x: number): number {
  let sum = 0;
  for (let k = 0; k < BESSEL_POINTS; k++) {
    const tau = (2 * Math.PI * k) / BESSEL_POINTS;
    sum += Math.cos(tau - x * Math.sin(tau));
  }
  return sum / BESSEL_POINTS;
}

/**
 * BasicSR's circular_lowpass_kernel: the 2-D circularly symmetric ideal low-pass filter with
 * cut-off ω_c (radians per pixel, π the Nyquist frequency), sampled on the size × size grid
 * centred at (size − 1)/2: ω_c·J₁(ω_c·r) / (2π·r), with its limit ω_c²/(4π) at r = 0,
 * normalised to sum to 1. Its ripples are the ringing and overshoot of real images.
 */
export function sincKernel(cutoff: number, size: number): BlurKernel {
  const data = new Float64Array(size * size);
  const centre = (size - 1) / 2;
  const byRadius = new Map<number, number>(); // the kernel is radial: one J₁ per distinct r²
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const r2 = (i - centre) ** 2 + (j - centre) ** 2;
      let v = byRadius.get(r2);
      if (v === undefined) {
        const r = Math.sqrt(r2);
        v = r === 0 ? (cutoff * cutoff) / (4 * Math.PI) : (cutoff * besselJ1(cutoff * r)) / (2 * Math.PI * r);
        byRadius.set(r2, v);
      }
      data[i * size + j] = v;
    }
  }
  return { size, data: normalise(data) };
}
