import { WgsrError } from '../errors.js';

/** One float64 channel, row-major: what the metrics compare (BasicSR works on float64 planes). */
export interface Plane {
  width: number;
  height: number;
  data: Float64Array;
}

/** Removes `border` pixels from every side (BasicSR's `img[b:-b, b:-b]`; 0 keeps the plane). */
export function cropBorder(plane: Plane, border: number, what = 'image'): Plane {
  if (!Number.isInteger(border) || border < 0) throw new WgsrError('BAD_ARGUMENT', `crop border must be a whole number ≥ 0, got ${border}`);
  if (border === 0) return plane;
  const width = plane.width - 2 * border;
  const height = plane.height - 2 * border;
  if (width <= 0 || height <= 0) {
    throw new WgsrError('BAD_IMAGE', `${what}: ${plane.width}×${plane.height} has nothing left after cropping ${border} pixels from every side`);
  }
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = (y + border) * plane.width + border;
    data.set(plane.data.subarray(from, from + width), y * width);
  }
  return { width, height, data };
}
