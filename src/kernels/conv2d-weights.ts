import { WgsrError } from '../errors.js';
import { uploadFloat32 } from './buffers.js';
import { chooseConvTile, unrolledKernelRows } from './conv2d-tile.js';
import type { ConvTile } from './conv2d-wgsl.js';

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

/**
 * The packed array for a device whose kernels may share weight loads over `subgroupSize` lanes
 * (0: none). Exported for tests of the layout; packConv2dWeights uploads it.
 */
export function packConv2dArray(p: Conv2dWeightsSource, subgroupSize = 0): { data: Float32Array<ArrayBuffer>; layout: Omit<PackedConv2dWeights, 'buffer'> } {
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
  const { cv } = tile;
  const groups = Math.ceil(cout / 4 / cv) * cv;
  const kk = k * k;
  const kRows = unrolledKernelRows(k);
  const tileStride = cin * kk * cv;
  const biasOffset = groups * cin * kk;
  const preluOffset = biasOffset + groups;
  const data = new Float32Array((preluOffset + (slopes ? groups : 0)) * 4);
  for (let co = 0; co < cout; co++) {
    const g = co >> 2;
    const lane = co & 3;
    const groupBase = Math.floor(g / cv) * tileStride + (g % cv) * kRows * k;
    for (let ci = 0; ci < cin; ci++) {
      for (let ky = 0; ky < k; ky++) {
        // The block of kernel rows ky belongs to, then the tap within the block.
        const rowBlock = ci * kk * cv + Math.floor(ky / kRows) * kRows * k * cv;
        for (let kx = 0; kx < k; kx++) {
          const tap = (ky % kRows) * k + kx;
          data[((groupBase + rowBlock + tap) << 2) + lane] = p.weight[((co * cin + ci) * k + ky) * k + kx]!;
        }
      }
    }
    if (p.bias) data[((biasOffset + g) << 2) + lane] = p.bias[co]!;
    if (slopes) data[((preluOffset + g) << 2) + lane] = slopes.length === 1 ? slopes[0]! : slopes[co]!;
  }
  return {
    data,
    layout: { cin, cout, kernelSize: k, hasBias: Boolean(p.bias), hasPrelu: Boolean(slopes), coutGroups: groups, tile, tileStride, biasOffset, preluOffset },
  };
}

/**
 * Packs and uploads conv weights for the kernels of `device`. `subgroupSize` is the subgroup
 * size the kernel shares weight loads over; 0 packs for per-invocation loads (what a device
 * without subgroups gets; tests use it to exercise that path on any device).
 */
export function packConv2dWeights(device: GPUDevice, p: Conv2dWeightsSource, subgroupSize = sharedLoadSubgroupSize(device)): PackedConv2dWeights {
  const { data, layout } = packConv2dArray(p, subgroupSize);
  return { buffer: uploadFloat32(device, data, p.label), ...layout };
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
