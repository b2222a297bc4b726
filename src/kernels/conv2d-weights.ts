import { WgsrError } from '../errors.js';
import { createTensorBuffer } from '../gpu/buffers.js';
import { chooseConvTile, unrolledKernelRows, type ConvTile } from './conv2d-tile.js';

/**
 * Conv weights in the order the conv kernel's inner loop reads them, uploaded once at load time.
 *
 * The kernel computes four output channels at once with vec4 arithmetic, so weights are stored
 * as vec4s across output channels: a vec4 holds w[4g..4g+3][ci][ky][kx] (zero-filled where
 * 4g + lane ≥ cout). An invocation computes a tile of cv such groups, and for each input
 * channel (and, for kernels larger than 3×3, each kernel row) it reads the weights of all cv
 * groups as one contiguous block: index [g / cv][ci][kernel-row block][g % cv][tap in block].
 * After the weights come the bias (one vec4 per group; zeros when the conv has none, so the
 * shader has no bias branch) and, when present, the PReLU slopes (one vec4 per group; a
 * single shared slope is replicated).
 */
export interface PackedConv2dWeights {
  readonly buffer: GPUBuffer;
  readonly cin: number;
  readonly cout: number;
  readonly kernelSize: number;
  readonly hasBias: boolean;
  readonly hasPrelu: boolean;
  /** Number of vec4 output-channel groups: ceil(cout / 4), padded up to a multiple of the tile's cv. */
  readonly coutGroups: number;
  /** The register tile the weights are laid out for. */
  readonly tile: ConvTile;
  /** vec4s between consecutive tiles of cv groups: cin·k²·cv. */
  readonly tileStride: number;
  /** vec4 index of the bias. */
  readonly biasOffset: number;
  /** vec4 index of the PReLU slopes (equal to the end of the data when there are none). */
  readonly preluOffset: number;
}

export interface Conv2dWeightsSource {
  /** PyTorch layout [cout, cin, k, k]. */
  weight: Float32Array;
  shape: readonly number[];
  bias?: Float32Array;
  /** [cout], or [1] for one slope shared by every channel. */
  preluSlopes?: Float32Array;
  label?: string;
  /**
   * Pack for the widest register tile even when cout needs fewer channels, padding with zero
   * weights (see chooseConvTile). For convs whose extra FLOPs are negligible in their network.
   */
  padToWidestTile?: boolean;
}

/** Where everything of a conv's packed weights goes, without the buffer. */
export type Conv2dWeightsLayout = Omit<PackedConv2dWeights, 'buffer'>;

/**
 * Checks a conv's weights and lays them out for a device whose kernels may share weight loads
 * over `subgroupSize` lanes (0: none), without touching the values.
 */
export function conv2dWeightsLayout(p: Conv2dWeightsSource, subgroupSize = 0): Conv2dWeightsLayout {
  const name = p.label ?? 'conv2d weights';
  if (p.shape.length !== 4) throw new WgsrError('BAD_MODEL', `${name}: weight shape [${p.shape.join(', ')}] is not [cout, cin, k, k]`);
  const [cout, cin, kh, kw] = p.shape as [number, number, number, number];
  if (kh !== kw || kh % 2 !== 1) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${name}: kernel ${kh}×${kw}; only square odd kernels (1, 3, 5, …) with "same" padding are supported`);
  }
  const k = kh;
  if (p.weight.length !== cout * cin * k * k) {
    throw new WgsrError('BAD_MODEL', `${name}: weight has ${p.weight.length} values, shape [${p.shape.join(', ')}] needs ${cout * cin * k * k}`);
  }
  if (p.bias && p.bias.length !== cout) throw new WgsrError('BAD_MODEL', `${name}: bias has ${p.bias.length} values for ${cout} output channels`);
  const slopes = p.preluSlopes;
  if (slopes && slopes.length !== cout && slopes.length !== 1) {
    throw new WgsrError('BAD_MODEL', `${name}: PReLU has ${slopes.length} slopes; expected ${cout} (one per channel) or 1`);
  }
  const tile = chooseConvTile({ coutGroups: Math.ceil(cout / 4), kernelSize: k, subgroupSize, padToWidest: p.padToWidestTile });
  const groups = Math.ceil(cout / 4 / tile.cv) * tile.cv;
  const kk = k * k;
  const tileStride = cin * kk * tile.cv;
  const biasOffset = groups * cin * kk;
  const preluOffset = biasOffset + groups;
  return { cin, cout, kernelSize: k, hasBias: Boolean(p.bias), hasPrelu: Boolean(slopes), coutGroups: groups, tile, tileStride, biasOffset, preluOffset };
}

/** Bytes of the packed array of a layout. */
const packedBytes = (l: Conv2dWeightsLayout): number => (l.preluOffset + (l.hasPrelu ? l.coutGroups : 0)) * 16;

/** The packed array of `p`'s values in `layout` (from conv2dWeightsLayout of the same `p`). */
export function fillConv2dArray(p: Conv2dWeightsSource, layout: Conv2dWeightsLayout): Float32Array<ArrayBuffer> {
  const { cin, cout, kernelSize: k, tile, tileStride, biasOffset, preluOffset } = layout;
  const { cv } = tile;
  const kk = k * k;
  const kRows = unrolledKernelRows(k);
  const slopes = p.preluSlopes;
  const data = new Float32Array(packedBytes(layout) / 4);
  // Where kernel row ky starts within an input channel's block: its block of kernel rows,
  // then its first tap within the block. Hoisted so that the inner loop only adds.
  const rowStart = Array.from({ length: k }, (_, ky) => Math.floor(ky / kRows) * kRows * k * cv + (ky % kRows) * k);
  const { weight } = p;
  let from = 0; // the source is read in order: [co][ci][ky][kx]
  for (let co = 0; co < cout; co++) {
    const g = co >> 2;
    const lane = co & 3;
    const groupBase = Math.floor(g / cv) * tileStride + (g % cv) * kRows * k;
    for (let ci = 0; ci < cin; ci++) {
      const channelBase = groupBase + ci * kk * cv;
      for (let ky = 0; ky < k; ky++) {
        let to = ((channelBase + rowStart[ky]!) << 2) + lane;
        for (let kx = 0; kx < k; kx++, to += 4) data[to] = weight[from++]!;
      }
    }
    if (p.bias) data[((biasOffset + g) << 2) + lane] = p.bias[co]!;
    if (slopes) data[((preluOffset + g) << 2) + lane] = slopes.length === 1 ? slopes[0]! : slopes[co]!;
  }
  return data;
}

/** The packed array and its layout (see conv2dWeightsLayout). */
export function packConv2dArray(p: Conv2dWeightsSource, subgroupSize = 0): { data: Float32Array<ArrayBuffer>; layout: Conv2dWeightsLayout } {
  const layout = conv2dWeightsLayout(p, subgroupSize);
  return { data: fillConv2dArray(p, layout), layout };
}

/**
 * Checks and lays out conv weights for the kernels of `device` and creates their buffer, which
 * holds zeros until `upload` packs and writes the values (queued after whatever was submitted
 * before). Kernels can be dispatched on the buffer meanwhile, to get their compilation going.
 */
export function allocateConv2dWeights(device: GPUDevice, p: Conv2dWeightsSource, subgroupSize = sharedLoadSubgroupSize(device)): { weights: PackedConv2dWeights; upload: () => void } {
  const layout = conv2dWeightsLayout(p, subgroupSize);
  const buffer = createTensorBuffer(device, packedBytes(layout), p.label);
  const upload = () => {
    const data = fillConv2dArray(p, layout);
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  };
  return { weights: { buffer, ...layout }, upload };
}

/**
 * Packs and uploads conv weights for the kernels of `device`. `subgroupSize` is the subgroup
 * size the kernel shares weight loads over; 0 packs for per-invocation loads (what a device
 * without subgroups gets; tests use it to exercise that path on any device).
 */
export function packConv2dWeights(device: GPUDevice, p: Conv2dWeightsSource, subgroupSize = sharedLoadSubgroupSize(device)): PackedConv2dWeights {
  const { weights, upload } = allocateConv2dWeights(device, p, subgroupSize);
  upload();
  return weights;
}

/**
 * The subgroup size a kernel can rely on: the device's smallest (a kernel written for S lanes
 * is correct on subgroups of S or more), when the device enabled subgroups and reports it.
 * `adapterInfo` on the device is recent WebGPU; where it is missing, no subgroups are used.
 */
export function sharedLoadSubgroupSize(device: GPUDevice): number {
  if (!device.features.has('subgroups')) return 0;
  const info = (device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  const size = info?.subgroupMinSize ?? 0;
  // Power of two and at most the 64 invocations of the conv's workgroups, so subgroups are full.
  return size >= 4 && size <= 64 && (size & (size - 1)) === 0 ? size : 0;
}
