// The public face of src/weights: load .pth / .safetensors bytes or an ncnn .param + .bin pair,
// write safetensors or .pth, blend.
export { loadWeights, loadModelBytes } from './load.js';
export { loadNcnn } from './ncnn.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type WriteSafetensorsOptions } from './safetensors.js';
export { writeTorchZip, type WriteTorchZipOptions } from './pth-writer.js';
export { interpolateStateDicts, countParameters, storedDtype } from './state-dict.js';
export type { DType, WeightTensor, StateDict, WeightsFormat, ModelBytes, LoadedWeights } from './types.js';
