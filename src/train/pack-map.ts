import { WgsrError } from '../errors.js';
import { packConv2dArray, type Conv2dWeightsLayout } from '../kernels/conv2d-weights.js';
import { PACK_NONE } from '../kernels/pack-gather.js';

/**
 * Where the conv kernel's packed weights come from, element by element: the map that
 * kernels/pack-gather.ts follows every training step to refresh a packed copy from the weights
 * in PyTorch's layout (which the optimizer updates).
 *
 * The map is read off the conv kernel's own packing function rather than written from its
 * layout: the weights are packed once with every value replaced by its index + 1 (exact in f32
 * below 2^24), and each packed element then says which source element it holds (0: a padding
 * zero). Whatever layout the conv kernels use, the map follows it.
 *
 * Two kinds per conv:
 * - `forward`: the conv's own weights [cout, cin, k, k] and bias (map entries ≥ the weight count
 *   are bias elements);
 * - `input_grad`: dL/dx of a "same" stride-1 conv is the same conv of gy with the weights
 *   transposed and flipped, w'[i, o, ky, kx] = w[o, i, k−1−ky, k−1−kx], and no bias.
 */
export type PackKind = 'forward' | 'input_grad';

export interface PackMap {
  readonly map: Uint32Array<ArrayBuffer>;
  readonly layout: Conv2dWeightsLayout;
}

export interface PackMapSpec {
  readonly shape: readonly [number, number, number, number];
  readonly bias: boolean;
  readonly kind: PackKind;
  /** Pack for the widest register tile (see conv2d-weights.ts). */
  readonly padToWidestTile: boolean;
  readonly subgroupSize: number;
}

const F32_EXACT = 1 << 24;

export const packMapKey = (s: PackMapSpec): string => `${s.kind} ${s.shape.join('x')} ${s.bias ? 'bias' : 'nobias'} ${s.padToWidestTile ? 'wide' : 'fit'} sg${s.subgroupSize}`;

export function convPackMap(spec: PackMapSpec): PackMap {
  const [cout, cin, k] = spec.shape;
  const count = cout * cin * k * k;
  if (count + cout >= F32_EXACT) throw new WgsrError('UNSUPPORTED_MODEL', `a ${spec.shape.join('×')} conv has too many weights to train (${count})`);
  const transposed = spec.kind === 'input_grad';
  const shape = transposed ? [cin, cout, k, k] : [cout, cin, k, k];
  const weight = new Float32Array(count);
  if (transposed) {
    let to = 0;
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++)
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) weight[to++] = 1 + ((o * cin + i) * k + (k - 1 - ky)) * k + (k - 1 - kx);
  } else {
    for (let j = 0; j < count; j++) weight[j] = 1 + j;
  }
  const bias = spec.bias && !transposed ? Float32Array.from({ length: cout }, (_, o) => 1 + count + o) : undefined;
  const { data, layout } = packConv2dArray({ weight, shape, bias, padToWidestTile: spec.padToWidestTile, label: `${spec.kind} pack map` }, spec.subgroupSize);
  const map = new Uint32Array(data.length);
  const seen = new Uint8Array(count + (bias ? cout : 0));
  for (let e = 0; e < data.length; e++) {
    const v = data[e]!;
    if (v === 0) {
      map[e] = PACK_NONE;
      continue;
    }
    if (!Number.isInteger(v) || v < 1 || v > seen.length) throw new Error(`conv weight packing moved values (${v} at ${e}); the pack map cannot follow it`);
    map[e] = v - 1;
    seen[v - 1] = 1;
  }
  if (seen.some((s) => s === 0)) throw new Error('conv weight packing dropped values; the pack map cannot follow it');
  return { map, layout };
}
