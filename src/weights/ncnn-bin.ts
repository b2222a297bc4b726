import { decodeToFloat32 } from './dtypes.js';
import { modelError } from './model-error.js';
import { intParam, where, type NcnnLayer, type NcnnParamFile } from './ncnn-param.js';
import type { WeightTensor } from './types.js';

/**
 * The `.bin` beside a `.param`: every layer's weights, back to back, in the order of the layers
 * (ncnn's Net::load_model; nothing in the file says where one ends). Of the layers wgsr reads,
 * two carry weights (src/layer/convolution.cpp, prelu.cpp):
 *
 * - Convolution: the weights, num_output·in·kh·kw values (param 6, weight_data_size) behind a
 *   4-byte tag, then with bias_term (param 5) num_output raw float32 biases;
 * - PReLU: num_slope (param 0) raw float32 slopes.
 *
 * The tag (ncnn's ModelBin::load with type 0): 0x01306B47 = float16, padded to 4 bytes;
 * 0 or 0x0002C056 = raw float32; 0x000D4B38 = int8 (needs ncnn's int8 scale tables); any other
 * non-zero value = 8-bit indices into a 256-entry float32 table (an old lossy quantisation).
 * wgsr reads the float ones and refuses the others by name. Every size is checked against the
 * bytes left before anything is decoded, and the file must end exactly after the last layer's
 * weights: bytes left over mean the .bin does not belong to this .param.
 */

const TAG_FLOAT16 = 0x01306b47;
const TAG_FLOAT32 = 0;
const TAG_FLOAT32_SCALED = 0x0002c056;
const TAG_INT8 = 0x000d4b38;

export interface NcnnConvWeights {
  /** Flat [num_output · in · kh · kw], OIHW as in PyTorch. */
  readonly weight: WeightTensor;
  /** [num_output]; absent without bias_term. */
  readonly bias?: WeightTensor;
}

export interface NcnnWeights {
  readonly conv: ReadonlyMap<NcnnLayer, NcnnConvWeights>;
  readonly prelu: ReadonlyMap<NcnnLayer, WeightTensor>;
}

/** The layer types whose weights are in the .bin and that wgsr knows how to skip or read. */
export const WEIGHTED_LAYERS: ReadonlySet<string> = new Set(['Convolution', 'PReLU']);

/**
 * Reads the weights of every Convolution and PReLU layer. The caller has already refused any
 * layer type that is neither one of these nor weightless, so the walk cannot lose its place.
 */
export function readNcnnWeights(param: NcnnParamFile, bin: Uint8Array, binSource: string): NcnnWeights {
  bin = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const conv = new Map<NcnnLayer, NcnnConvWeights>();
  const prelu = new Map<NcnnLayer, WeightTensor>();
  let at = 0;

  const need = (layer: NcnnLayer, what: string, bytes: number) => {
    if (bytes > bin.length - at) {
      throw modelError(
        'BAD_MODEL',
        binSource,
        `the file ends inside the ${what} of ${where(layer)} of ${param.source} (${bytes} bytes from offset ${at}, only ${bin.length - at} left); ` +
          'it is truncated, or belongs to another .param.',
      );
    }
  };
  const rawFloat32 = (layer: NcnnLayer, what: string, count: number): WeightTensor => {
    checkCount(layer, what, count);
    need(layer, what, count * 4);
    const data = decodeToFloat32(bin.subarray(at, at + count * 4), 'float32', count);
    at += count * 4;
    return { shape: [count], data, dtype: 'float32' };
  };

  for (const layer of param.layers) {
    if (layer.type === 'Convolution') {
      const count = intParam(layer, 6, 0, param.source);
      const outputs = intParam(layer, 0, 0, param.source);
      const weight = taggedWeights(layer, count);
      const bias = intParam(layer, 5, 0, param.source) ? rawFloat32(layer, 'bias', outputs) : undefined;
      conv.set(layer, bias ? { weight, bias } : { weight });
    } else if (layer.type === 'PReLU') {
      prelu.set(layer, rawFloat32(layer, 'slopes', intParam(layer, 0, 0, param.source)));
    }
  }
  if (at !== bin.length) {
    throw modelError(
      'BAD_MODEL',
      binSource,
      `${bin.length - at} bytes are left after the weights of the last layer of ${param.source} (the layers take ${at} of ${bin.length}); ` +
        'this .bin does not belong to this .param.',
    );
  }
  return { conv, prelu };

  function checkCount(layer: NcnnLayer, what: string, count: number): void {
    if (count < 0) throw modelError('BAD_MODEL', param.source, `bad ncnn .param file: ${where(layer)} gives its ${what} a negative size (${count}).`);
  }

  function taggedWeights(layer: NcnnLayer, count: number): WeightTensor {
    checkCount(layer, 'weights', count);
    need(layer, 'weight tag', 4);
    const tag = view.getUint32(at, true);
    at += 4;
    if (tag === TAG_FLOAT16) {
      const bytes = Math.ceil((count * 2) / 4) * 4;
      need(layer, `${count} float16 weights`, bytes);
      const data = decodeToFloat32(bin.subarray(at, at + count * 2), 'float16', count);
      at += bytes;
      return { shape: [count], data, dtype: 'float16' };
    }
    if (tag === TAG_FLOAT32 || tag === TAG_FLOAT32_SCALED) return rawFloat32(layer, `${count} float32 weights`, count);
    const hex = `0x${tag.toString(16).padStart(8, '0')}`;
    const kind = tag === TAG_INT8 ? 'int8-quantised weights' : "8-bit table-quantised weights (or bytes that are not a weight tag at all)";
    throw modelError(
      'UNSUPPORTED_MODEL',
      binSource,
      `the weights of ${where(layer)} of ${param.source} start with tag ${hex} at offset ${at - 4}, which ncnn reads as ${kind}. ` +
        'wgsr reads float32 and float16 ncnn weights (tags 0x00000000, 0x0002c056, 0x01306b47); use the float model.',
    );
  }
}
