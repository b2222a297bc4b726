// The public face of src/weights: load .pth / .safetensors bytes, write safetensors, blend.
export { loadWeights } from './load.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type WriteSafetensorsOptions } from './safetensors.js';
export { interpolateStateDicts, countParameters, storedDtype } from './state-dict.js';
export type { DType, WeightTensor, StateDict, WeightsFormat, LoadedWeights } from './types.js';
