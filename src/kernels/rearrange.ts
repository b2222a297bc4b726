import { WgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import { dispatchElements, elementEnable, elementWgsl, tensorBinding } from './element.js';
import { pixelGrid, pixelKernel } from './grid.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkSameShape, checkTensor, overlaps } from './validate.js';

/**
 * Kernels that only move elements, each defined by where output element (c, y, x) comes from
 * in the input. One generator and one uniform layout serve them all; elements move as they
 * are stored, f32 or f16, so the results are exact.
 */
export type RearrangeOp = 'pixel_shuffle' | 'pixel_unshuffle' | 'upsample_nearest';

export interface RearrangeDesc {
  input: TensorRef;
  output: TensorRef;
  /** The shuffle factor r, or the upsampling factor f. */
  factor: number;
  label?: string;
}

export const REARRANGE_PARAMS = uniformStruct('RearrangeParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'in_h', type: 'u32' },
  { name: 'in_w', type: 'u32' },
  { name: 'factor', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'out_h', type: 'u32' },
  { name: 'out_w', type: 'u32' },
] as const);

interface RearrangeRule {
  /** WGSL: the input element (relative to in_offset) that output element (c, y, x) copies; `r` is the factor. */
  readonly source: string;
  /** How error messages name the output's expected shape. */
  describe(r: number): string;
  /** The output's shape for an input of this shape, or an error message. */
  outputShape(input: TensorRef, r: number): { channels: number; height: number; width: number } | string;
}

const RULES: Record<RearrangeOp, RearrangeRule> = {
  // F.pixel_shuffle(x, r): [C·r², H, W] → [C, H·r, W·r], out[c, y, x] = in[c·r² + (y % r)·r + x % r, y / r, x / r].
  pixel_shuffle: {
    source: '(((c * r + y % r) * r + x % r) * u.in_h + y / r) * u.in_w + x / r',
    describe: () => 'the shuffled input',
    outputShape: (t, r) =>
      t.channels % (r * r) !== 0
        ? `${t.channels} input channels are not a multiple of ${r}² = ${r * r}`
        : { channels: t.channels / (r * r), height: t.height * r, width: t.width * r },
  },
  // F.pixel_unshuffle(x, r): [C, H, W] → [C·r², H/r, W/r], out[c, y, x] = in[c / r², y·r + (c / r) % r, x·r + c % r].
  pixel_unshuffle: {
    source: '(c / (r * r) * u.in_h + y * r + (c / r) % r) * u.in_w + x * r + c % r',
    describe: () => 'the unshuffled input',
    outputShape: (t, r) =>
      t.height % r !== 0 || t.width % r !== 0
        ? `${t.height}×${t.width} is not divisible by ${r}`
        : { channels: t.channels * r * r, height: t.height / r, width: t.width / r },
  },
  // F.interpolate(x, scale_factor=f, mode='nearest') for an integer f: out[c, y, x] = in[c, y / f, x / f].
  upsample_nearest: {
    source: '(c * u.in_h + y / r) * u.in_w + x / r',
    describe: (r) => `input × ${r}`,
    outputShape: (t, r) => ({ channels: t.channels, height: t.height * r, width: t.width * r }),
  },
};

const variants = new Map<string, KernelVariant>();

function variantFor(op: RearrangeOp, type: ElementType): KernelVariant {
  const key = `${op} ${type}`;
  let v = variants.get(key);
  if (!v) {
    v = defineKernel({
      key,
      directives: elementEnable(type),
      storage: [tensorBinding('src'), tensorBinding('dst')],
      uniforms: REARRANGE_PARAMS,
      body: `${elementWgsl(type)}

${pixelKernel(
  'u.out_w',
  'u.out_h',
  `let r = u.factor;
dst[u.out_offset + (c * u.out_h + y) * u.out_w + x] = src[u.in_offset + ${RULES[op].source}];`,
)}`,
    });
    variants.set(key, v);
  }
  return v;
}

export function rearrange(op: RearrangeOp, desc: RearrangeDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `${op} "${desc.label}"` : op;
  const { input, output, factor: r } = desc;
  if (!Number.isInteger(r) || r < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: factor ${r} is not a positive integer`);
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  const shape = RULES[op].outputShape(input, r);
  if (typeof shape === 'string') throw new WgsrError('BAD_ARGUMENT', `${name}: ${shape}`);
  checkSameShape(name, 'output', output, RULES[op].describe(r), shape);
  if (overlaps(input, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps the input`);
  return {
    variant: variantFor(op, dispatchElements(name, [input, output]).type),
    storage: [input.buffer, output.buffer],
    uniforms: REARRANGE_PARAMS.pack({ in_offset: input.offset, in_h: input.height, in_w: input.width, factor: r, out_offset: output.offset, out_h: output.height, out_w: output.width }),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}

export const pixelShuffle = (desc: RearrangeDesc, limits?: GPUSupportedLimits) => rearrange('pixel_shuffle', desc, limits);
export const pixelUnshuffle = (desc: RearrangeDesc, limits?: GPUSupportedLimits) => rearrange('pixel_unshuffle', desc, limits);
export const upsampleNearest = (desc: RearrangeDesc, limits?: GPUSupportedLimits) => rearrange('upsample_nearest', desc, limits);
