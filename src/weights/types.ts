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

/** The formats loadWeights tells apart in the bytes of one file. */
export type WeightsFormat = 'pth-zip' | 'pth-legacy' | 'safetensors';
/**
 * Every format wgsr reads: those, and ncnn's pair of files (.param graph + .bin weights), which
 * loadNcnn reads. (Kept apart from WeightsFormat until the code that names each format for the
 * user, which switches over WeightsFormat, names ncnn too.)
 */
export type AnyWeightsFormat = WeightsFormat | 'ncnn';

export interface LoadedWeights<F extends AnyWeightsFormat = WeightsFormat> {
  readonly format: F;
  readonly stateDict: StateDict;
  /** The wrapper key the state dict was found under (`params_ema`, `params`, …), if any. */
  readonly wrapperKey?: string;
}
