import { float32ToFloat16Bits } from '../half.js';
import { float32ToBFloat16Bits, isFloatDType } from './dtypes.js';
import type { DType, WeightTensor } from './types.js';

/**
 * How the writers (safetensors, torch zip) store a tensor: the dtype chosen for it and its
 * little-endian bytes. Both writers make the same choice, so converting between them is lossless.
 */

/** float64 is narrowed: the values are float32 already. */
export type OutputDType = Exclude<DType, 'float64'>;

/**
 * Floating-point tensors become float16 with `half`; otherwise they keep float16/bfloat16
 * (exact, since their values came from it) and are float32 else. Integer tensors keep their dtype.
 */
export function outputDtype(dtype: DType, half: boolean): OutputDType {
  if (dtype === 'float64' || dtype === 'float32') return half ? 'float16' : 'float32';
  if (half && isFloatDType(dtype)) return 'float16';
  return dtype;
}

/** The tensor's values as `dtype`, little-endian (a view of the data itself for float32). */
export function encodeTensor(tensor: WeightTensor, dtype: OutputDType): Uint8Array {
  const values = tensor.data;
  switch (dtype) {
    case 'float32':
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'float16':
      return new Uint8Array(float32ToFloat16Bits(values).buffer);
    case 'bfloat16':
      return new Uint8Array(float32ToBFloat16Bits(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
  }
}
