import { WgsrError } from '../errors.js';
import { batchedFields, batchedGrid, batchedIndex, batchedPixelKernel, batchedValues, checkBatched, checkSameBatchShape, batchesOverlap, sameBatch, type BatchedRef } from './batched.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import { uniformStruct } from './uniforms.js';

/**
 * dst (+)= scale · gather(src) over a batch: every output element is computed from the source
 * elements that map to it, in a fixed order, so the backward of an op that spreads a value over
 * several outputs is a deterministic sum with no atomics. One kernel, one rule per op:
 *
 * - `block_sum` ×f: dst[c, y, x] = Σ_{i, j < f} src[c, y·f + i, x·f + j] — the backward of
 *   nearest upsampling ×f, and with f = 1 a scaled copy (the backward of `a·x + b·y`);
 * - `upsample` ×f: dst[c, Y, X] = src[c, Y/f, X/f] (nearest upsampling);
 * - `unshuffle` r: dst[c, y, x] = src[c/r², y·r + (c/r)%r, x·r + c%r] — F.pixel_unshuffle, and
 *   the backward of pixel_shuffle;
 * - `shuffle` r: dst[c, Y, X] = src[c·r² + (Y%r)·r + X%r, Y/r, X/r] — F.pixel_shuffle, and the
 *   backward of pixel_unshuffle;
 * - `zero`: dst = 0 (src unused; pass dst).
 *
 * `accumulate` adds to dst instead of overwriting it (dst is then read; otherwise never).
 */
export type GatherOp = 'block_sum' | 'upsample' | 'unshuffle' | 'shuffle' | 'zero';

export interface GatherDesc {
  op: GatherOp;
  src: BatchedRef;
  dst: BatchedRef;
  /** f or r; 1 for `zero`. */
  factor: number;
  scale?: number;
  accumulate?: boolean;
  label?: string;
}

const PARAMS = uniformStruct('GatherParams', [
  ...batchedFields('src'),
  ...batchedFields('dst'),
  { name: 'channels', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'src_h', type: 'u32' },
  { name: 'src_w', type: 'u32' },
  { name: 'factor', type: 'u32' },
  { name: 'scale', type: 'f32' },
  { name: 'accumulate', type: 'u32' },
] as const);

const srcAt = (c: string, y: string, x: string) => `srcs[${batchedIndex('src', 'u.src_h', 'u.src_w', c, y, x)}]`;

/** WGSL computing `v`, the gathered value of dst element (b, c, y, x); `r` is the factor. */
const RULES: Record<GatherOp, string> = {
  block_sum: `var v = 0.0;
for (var i = 0u; i < r; i++) {
  for (var j = 0u; j < r; j++) { v += ${srcAt('c', 'y * r + i', 'x * r + j')}; }
}`,
  upsample: `let v = ${srcAt('c', 'y / r', 'x / r')};`,
  unshuffle: `let v = ${srcAt('c / (r * r)', 'y * r + (c / r) % r', 'x * r + c % r')};`,
  shuffle: `let v = ${srcAt('(c * r + y % r) * r + x % r', 'y / r', 'x / r')};`,
  zero: 'let v = 0.0;',
};

/** The source's shape for a destination of shape `d`, or an error message. */
function sourceShape(op: GatherOp, d: BatchedRef, r: number): { channels: number; height: number; width: number } | string {
  switch (op) {
    case 'block_sum':
      return { channels: d.channels, height: d.height * r, width: d.width * r };
    case 'upsample':
      return d.height % r || d.width % r ? `the output ${d.height}×${d.width} is not a multiple of ${r}` : { channels: d.channels, height: d.height / r, width: d.width / r };
    case 'unshuffle':
      return d.channels % (r * r) ? `${d.channels} output channels are not a multiple of ${r * r}` : { channels: d.channels / (r * r), height: d.height * r, width: d.width * r };
    case 'shuffle':
      return d.height % r || d.width % r ? `the output ${d.height}×${d.width} is not a multiple of ${r}` : { channels: d.channels * r * r, height: d.height / r, width: d.width / r };
    case 'zero':
      return d;
  }
}

const variants = new Map<GatherOp, KernelVariant>();

function variantFor(op: GatherOp): KernelVariant {
  let v = variants.get(op);
  if (!v) {
    v = defineKernel({
      key: `gather ${op}`,
      storage: [
        { name: 'srcs', type: 'array<f32>', kind: 'storage' },
        { name: 'dsts', type: 'array<f32>', kind: 'storage' },
      ],
      uniforms: PARAMS,
      body: batchedPixelKernel(
        'u.width',
        'u.height',
        'u.channels',
        `let r = u.factor;
${RULES[op]}
let o = ${batchedIndex('dst')};
var g = u.scale * v;
if (u.accumulate != 0u) { g += dsts[o]; }
dsts[o] = g;`,
      ),
    });
    variants.set(op, v);
  }
  return v;
}

export function gather(desc: GatherDesc, limits?: GPUSupportedLimits): KernelCall {
  const { op, src, dst, factor: r } = desc;
  const name = desc.label ? `${op} "${desc.label}"` : op;
  if (!Number.isInteger(r) || r < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: factor ${r} is not a positive integer`);
  checkBatched(name, 'destination', dst, limits);
  const shape = sourceShape(op, dst, r);
  if (typeof shape === 'string') throw new WgsrError('BAD_ARGUMENT', `${name}: ${shape}`);
  if (op !== 'zero') {
    checkBatched(name, 'source', src, limits);
    checkSameBatchShape(name, 'source', src, `what the ${dst.channels}×${dst.height}×${dst.width} destination needs`, { batch: dst.batch, ...shape });
    // Only a plain copy reads exactly the element it writes; the others read elsewhere.
    const inPlaceOk = op === 'block_sum' && r === 1 && sameBatch(src, dst);
    if (batchesOverlap(src, dst) && !inPlaceOk) throw new WgsrError('BAD_ARGUMENT', `${name}: the source overlaps the destination`);
  }
  const source = op === 'zero' ? dst : src;
  return {
    variant: variantFor(op),
    storage: [source.buffer, dst.buffer],
    uniforms: PARAMS.pack({
      ...batchedValues('src', source),
      ...batchedValues('dst', dst),
      channels: dst.channels,
      height: dst.height,
      width: dst.width,
      src_h: source.height,
      src_w: source.width,
      factor: r,
      scale: desc.scale ?? 1,
      accumulate: desc.accumulate ? 1 : 0,
    } as never),
    workgroups: batchedGrid(dst),
    label: desc.label,
  };
}
