import type { DType } from './types.js';

/**
 * Element sizes and conversions between stored dtypes and the float32 we compute in.
 *
 * Typed arrays use the host's byte order; every platform wgsr runs on (x86, ARM, WebAssembly
 * hosts) is little-endian, which is also what torch and safetensors write. Big-endian files are
 * byte-swapped into little-endian order before they reach these functions.
 */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

/**
 * Decodes `count` elements of `dtype` from `src` (little-endian, any byte alignment) into a new
 * Float32Array. `src` must hold at least count·size bytes. Only typed-array copies and one
 * table lookup per f16 element: no DataView loop, so a 67 MB checkpoint decodes in milliseconds.
 */
export function decodeToFloat32(src: Uint8Array, dtype: DType, count: number): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const bytes = src.subarray(0, count * size);
  switch (dtype) {
    case 'float32':
      // slice() copies into a fresh, aligned buffer that the result then owns.
      return new Float32Array(bytes.slice().buffer, 0, count);
    case 'float16': {
      const half = alignedView(bytes, Uint16Array, count);
      const table = float16Table();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[half[i]!]!;
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32: shift the bits into place.
      const half = alignedView(bytes, Uint16Array, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = half[i]! << 16;
      return out;
    }
    case 'float64': {
      const out = new Float32Array(count);
      out.set(alignedView(bytes, Float64Array, count)); // rounds to nearest float32
      return out;
    }
    case 'int64': {
      // Pairs of int32 (low word unsigned, high word signed); BigInt64Array cannot be set() into
      // a Float32Array. Values beyond 2^24 lose precision, as any float32 would.
      const words = alignedView(bytes, Int32Array, count * 2);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
      return out;
    }
    case 'int32': {
      const out = new Float32Array(count);
      out.set(alignedView(bytes, Int32Array, count));
      return out;
    }
    case 'uint8':
    case 'bool': {
      const out = new Float32Array(count);
      out.set(bytes);
      return out;
    }
  }
}

type TypedArrayClass<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** A typed view of `bytes` without copying when the offset is aligned, else of an aligned copy. */
function alignedView<T>(bytes: Uint8Array, Type: TypedArrayClass<T>, length: number): T {
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, length);
  return new Type(bytes.slice().buffer, 0, length);
}

/** Swaps the byte order of every `size`-byte element, in a copy. */
export function byteSwapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  }
  return out;
}

let f16Table: Float32Array | undefined;

/** float32 value of each of the 65536 float16 bit patterns (256 KiB, built on first use). */
function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = float16BitsToNumber(h);
  f16Table = table;
  return table;
}

export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 → float16 bit patterns, rounding to nearest even (overflow → ±inf, NaN stays NaN). */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]!);
  return out;
}

function float32BitsToFloat16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m·2^-24; shifts of 25 or more leave less than half an ulp.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && m & 1)) m++;
    return sign | m;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is exactly right (up to ±inf).
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** float32 → bfloat16 bit patterns, rounding to nearest even (NaN stays NaN). */
export function float32ToBFloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
