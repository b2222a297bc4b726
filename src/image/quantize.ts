/**
 * Conversions between integer samples and float32 values, mirroring Real-ESRGAN's numpy code
 * step by step. numpy does this arithmetic in float32; every step here rounds to float32 with
 * Math.fround at the same points, so the integers we produce are the ones Real-ESRGAN produces
 * for the same network output.
 */

/** numpy's round(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties go up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * An integer sample as the network sees it: `img.astype(float32) / max_range`, times the
 * network's input range. Computed as one division so that EDSR (range 255) sees the exact
 * integers of an 8-bit image.
 */
export function sampleToNetwork(v: number, maxValue: number, inputRange: number): number {
  return Math.fround((v * inputRange) / maxValue);
}

/** `clamp_(0, 1)` on a float32 value (NaN, which clamp keeps and astype turns to 0, becomes 0). */
export function clampUnit(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}

/** `(x * 255.0).round().astype(uint8)` (or 65535.0 / uint16) for x already in [0, 1]. */
export function unitToSample(x: number, maxValue: number): number {
  return roundHalfEven(Math.fround(x * maxValue));
}

/**
 * cv2.cvtColor(..., COLOR_BGR2GRAY) on float32: Real-ESRGAN turns the RGB network output into
 * BGR (`output[[2, 1, 0]]`) and then converts, so the coefficients meet the right channels:
 * 0.299·R + 0.587·G + 0.114·B, accumulated in OpenCV's order (B, G, R) with float32 rounding.
 */
const B2Y = Math.fround(0.114);
const G2Y = Math.fround(0.587);
const R2Y = Math.fround(0.299);
export function grayFromRgb(r: number, g: number, b: number): number {
  const bg = Math.fround(Math.fround(b * B2Y) + Math.fround(g * G2Y));
  return Math.fround(bg + Math.fround(r * R2Y));
}
