/** Storage dtypes we read. Everything is converted to float32 for compute; `dtype` keeps the original. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface WeightTensor {
  readonly shape: readonly number[];
  /** Contiguous, C order, converted to float32. */
  readonly data: Float32Array;
  /** The dtype stored in the file. */
  readonly dtype: DType;
}

/** Parameter name -> tensor, in the file's order, wrapper and `module.` prefix already removed. */
export type StateDict = Map<string, WeightTensor>;

/** The formats wgsr reads: torch's zip and legacy .pth, safetensors, and ncnn's .param + .bin pair. */
export type WeightsFormat = 'pth-zip' | 'pth-legacy' | 'safetensors' | 'ncnn';

/**
 * A model as bytes: one file (.pth, .pt, .safetensors), or ncnn's two (the .param graph text
 * and the .bin weights). Any typed array or ArrayBuffer will do.
 */
export type ModelBytes = ArrayBufferView | ArrayBuffer | { param: ArrayBufferView | ArrayBuffer; bin: ArrayBufferView | ArrayBuffer };

export interface LoadedWeights {
  readonly format: WeightsFormat;
  readonly stateDict: StateDict;
  /** A safetensors file's `__metadata__` (strings to strings; empty when it has none). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The wrapper key the state dict was found under (`params_ema`, `params`, …), if any. */
  readonly wrapperKey?: string;
}
