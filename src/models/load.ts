import { loadModelBytes } from '../weights/load.js';
import { interpolateStateDicts, storedDtype } from '../weights/state-dict.js';
import type { LoadedWeights, ModelBytes } from '../weights/types.js';
import type { ModelOptions } from './architecture.js';
import { buildModel, detectArchitecture, type BuiltModel, type ModelInfo } from './registry.js';

export interface LoadModelOptions {
  /** A name for error messages (the file name). */
  source?: string;
  /** Options the weights do not carry (EDSR's res_scale). */
  modelOptions?: ModelOptions;
  /**
   * Real-ESRGAN's denoise strength: the network is built from strength·A + (1 − strength)·B,
   * A being the main weights and B these (realesr-general-wdn-x4v3 beside realesr-general-x4v3).
   */
  dni?: { bytes: ModelBytes; strength: number; source?: string };
}

export interface LoadedModel {
  /** The weights as read from the file (before any interpolation). */
  readonly weights: LoadedWeights;
  readonly info: ModelInfo;
  /** The dtype stored in the file (weights are computed in float32); 'float16+float32' when mixed. */
  readonly dtype: string;
  readonly model: BuiltModel;
}

/** A model's bytes (one file, or ncnn's pair) → the detected architecture and its network: load, detect, build. */
export function loadModel(bytes: ModelBytes, options: LoadModelOptions = {}): LoadedModel {
  const weights = loadModelBytes(bytes, options.source);
  const info = detectArchitecture(weights.stateDict, options.source);
  let stateDict = weights.stateDict;
  if (options.dni) {
    const other = loadModelBytes(options.dni.bytes, options.dni.source);
    detectArchitecture(other.stateDict, options.dni.source);
    stateDict = interpolateStateDicts(stateDict, other.stateDict, options.dni.strength);
  }
  return { weights, info, dtype: storedDtype(weights.stateDict), model: buildModel(stateDict, info, options.modelOptions) };
}
