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

/** Where one tensor's values lie in the .bin. */
interface Section {
  readonly offset: number;
  readonly count: number;
  readonly dtype: 'float16' | 'float32';
}

/**
 * Reads the weights of every Convolution and PReLU layer. The caller has already refused any
 * layer type that is neither one of these nor weightless, so the walk cannot lose its place.
 * The whole file is laid out (tags and sizes checked, the end reached exactly) before any
 * value is decoded, so a .bin that does not fit its .param costs no decoding.
 */
export function readNcnnWeights(param: NcnnParamFile, bin: Uint8Array, binSource: string): NcnnWeights {
  bin = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
  const layout = layOut(param, bin, binSource);
  const decode = (s: Section): WeightTensor => ({
    shape: [s.count],
    data: decodeToFloat32(bin.subarray(s.offset, s.offset + s.count * (s.dtype === 'float16' ? 2 : 4)), s.dtype, s.count),
    dtype: s.dtype,
  });
  const conv = new Map<NcnnLayer, NcnnConvWeights>();
  const prelu = new Map<NcnnLayer, WeightTensor>();
  for (const { layer, sections } of layout) {
    if (layer.type === 'PReLU') prelu.set(layer, decode(sections[0]!));
    else conv.set(layer, sections[1] ? { weight: decode(sections[0]!), bias: decode(sections[1]) } : { weight: decode(sections[0]!) });
  }
  return { conv, prelu };
}

/** The sections of each weighted layer, in file order: [weights, bias?] or [slopes]. */
function layOut(param: NcnnParamFile, bin: Uint8Array, binSource: string): { layer: NcnnLayer; sections: Section[] }[] {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const layout: { layer: NcnnLayer; sections: Section[] }[] = [];
  let at = 0;

  const take = (layer: NcnnLayer, what: string, bytes: number): number => {
    if (bytes > bin.length - at) {
      throw modelError(
        'BAD_MODEL',
        binSource,
        `the file ends inside the ${what} of ${where(layer)} of ${param.source} (${bytes} bytes from offset ${at}, only ${bin.length - at} left); ` +
          'it is truncated, or belongs to another .param.',
      );
    }
    const offset = at;
    at += bytes;
    return offset;
  };
  const count = (layer: NcnnLayer, id: number, what: string): number => {
    const n = intParam(layer, id, 0, param.source);
    if (n < 0) throw modelError('BAD_MODEL', param.source, `bad ncnn .param file: ${where(layer)} gives its ${what} a negative size (${n}).`);
    return n;
  };
  const rawFloat32 = (layer: NcnnLayer, what: string, n: number): Section => ({ offset: take(layer, what, n * 4), count: n, dtype: 'float32' });

  const tagged = (layer: NcnnLayer, n: number): Section => {
    const tag = view.getUint32(take(layer, 'weight tag', 4), true);
    if (tag === TAG_FLOAT16) {
      const offset = take(layer, `${n} float16 weights`, Math.ceil((n * 2) / 4) * 4);
      return { offset, count: n, dtype: 'float16' };
    }
    if (tag === TAG_FLOAT32 || tag === TAG_FLOAT32_SCALED) return rawFloat32(layer, `${n} float32 weights`, n);
    const hex = `0x${tag.toString(16).padStart(8, '0')}`;
    const kind = tag === TAG_INT8 ? 'int8-quantised weights' : '8-bit table-quantised weights (or bytes that are not a weight tag at all)';
    throw modelError(
      'UNSUPPORTED_MODEL',
      binSource,
      `the weights of ${where(layer)} of ${param.source} start with tag ${hex} at offset ${at - 4}, which ncnn reads as ${kind}. ` +
        'wgsr reads float32 and float16 ncnn weights (tags 0x00000000, 0x0002c056, 0x01306b47); use the float model.',
    );
  };

  for (const layer of param.layers) {
    if (layer.type === 'Convolution') {
      const weights = tagged(layer, count(layer, 6, 'weights'));
      const outputs = count(layer, 0, 'bias');
      layout.push({ layer, sections: intParam(layer, 5, 0, param.source) ? [weights, rawFloat32(layer, 'bias', outputs)] : [weights] });
    } else if (layer.type === 'PReLU') {
      layout.push({ layer, sections: [rawFloat32(layer, 'slopes', count(layer, 0, 'slopes'))] });
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
  return layout;
}
