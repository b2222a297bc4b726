/**
 * A batched CPU tensor [N, C, H, W] (NCHW, C order) in float64, for the training references.
 * The inference references use Tensor3 (one image, float32); training sums over whole batches
 * and over many steps, so these keep every value in float64.
 */
export interface Tensor4 {
  n: number;
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}

/** Float32 (what fixtures and the engine hold) or float64 (what the references compute). */
export type Floats = Float32Array | Float64Array;

export function tensor4(n: number, c: number, h: number, w: number, data?: Floats): Tensor4 {
  const size = n * c * h * w;
  if (data && data.length !== size) throw new Error(`${data.length} values for [${n}, ${c}, ${h}, ${w}]`);
  // Float64Array.from copies, so a caller's float32 array is never aliased or widened in place.
  return { n, c, h, w, data: data ? Float64Array.from(data) : new Float64Array(size) };
}

/** A tensor4 from an NCHW shape (e.g. a .npy's), with the same checks. */
export function tensor4FromShape(shape: readonly number[], data?: Floats): Tensor4 {
  if (shape.length !== 4) throw new Error(`expected an NCHW shape, got [${shape.join(', ')}]`);
  const [n, c, h, w] = shape as [number, number, number, number];
  return tensor4(n, c, h, w, data);
}

/** A zero tensor of the same shape. */
export const zerosLike = (t: Tensor4): Tensor4 => tensor4(t.n, t.c, t.h, t.w);

/** Flat index of (b, c, y, x). */
export const idx4 = (t: Tensor4, b: number, c: number, y: number, x: number) => ((b * t.c + c) * t.h + y) * t.w + x;

export function sameShape(a: Tensor4, b: Tensor4, what: string): void {
  if (a.n !== b.n || a.c !== b.c || a.h !== b.h || a.w !== b.w) {
    throw new Error(`${what}: shapes [${a.n}, ${a.c}, ${a.h}, ${a.w}] and [${b.n}, ${b.c}, ${b.h}, ${b.w}] differ`);
  }
}
