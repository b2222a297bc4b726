import { WgsrError } from '../errors.js';
import { elementEnable, elementTypeOf, elementWgsl, tensorBinding, variantPerElement } from './element.js';
import { pixelGrid, pixelKernel } from './grid.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkSameShape, checkTensor, overlaps } from './validate.js';

/**
 * The eight symmetries of a rectangle (flips × 90° rotations), for test-time augmentation:
 * run a network on each transform of a tile, bring each output back, and average.
 *
 * A transform is three bits: `transpose` swaps the axes first, then `flipY` and `flipX`
 * mirror the result. For J = T(I), with J of size H'×W' (W×H when transposing):
 *   J[y, x] = I[p] where (a, b) = (flipY ? H'−1−y : y, flipX ? W'−1−x : x), p = transpose ? (b, a) : (a, b).
 * The same formula at the output's size maps a network output on J back to I's frame, because
 * the transform commutes with nearest upscaling (a mirror of an s× image is the s× of the mirror).
 *
 * Two kernels, one pipeline each whatever the transform (its bits are uniforms):
 * `dihedralGather` writes T(I) (elements moved as stored: exact), and `dihedralAccumulate`
 * reads a network output on T(I) at the position of each element of I's frame and adds
 * `weight` times it to an f32 accumulator (or stores it, for the first transform).
 */
export interface Dihedral {
  readonly transpose: boolean;
  readonly flipY: boolean;
  readonly flipX: boolean;
}

/** All eight, identity first. */
export const DIHEDRAL_GROUP: readonly Dihedral[] = Array.from({ length: 8 }, (_, i) => ({
  transpose: (i & 4) !== 0,
  flipY: (i & 2) !== 0,
  flipX: (i & 1) !== 0,
}));

/** The shape of T(I) for an I of `height`×`width`. */
export const transformedSize = (t: Dihedral, height: number, width: number) => (t.transpose ? { height: width, width: height } : { height, width });

export const DIHEDRAL_PARAMS = uniformStruct('DihedralParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  /** Size of the tensor in the transformed frame (J's), which the index formula uses. */
  { name: 'j_h', type: 'u32' },
  { name: 'j_w', type: 'u32' },
  /** Size of the tensor being written (the dispatch grid). */
  { name: 'out_h', type: 'u32' },
  { name: 'out_w', type: 'u32' },
  { name: 'transpose', type: 'u32' },
  { name: 'flip_y', type: 'u32' },
  { name: 'flip_x', type: 'u32' },
  { name: 'accumulate', type: 'u32' },
  { name: 'weight', type: 'f32' },
] as const);

/** WGSL: for J's position (y, x), the position (row, column) in I's frame. */
const SOURCE_OF = `fn source_of(y: u32, x: u32) -> vec2u {
  let a = select(y, u.j_h - 1u - y, u.flip_y != 0u);
  let b = select(x, u.j_w - 1u - x, u.flip_x != 0u);
  return select(vec2u(a, b), vec2u(b, a), u.transpose != 0u);
}
/** For I's position (y, x), the position (row, column) in J's frame: source_of's inverse. */
fn target_of(y: u32, x: u32) -> vec2u {
  let p = select(vec2u(y, x), vec2u(x, y), u.transpose != 0u);
  return vec2u(select(p.x, u.j_h - 1u - p.x, u.flip_y != 0u), select(p.y, u.j_w - 1u - p.y, u.flip_x != 0u));
}`;

const gatherVariant = variantPerElement(
  (type): KernelVariant =>
    defineKernel({
      key: `dihedral_gather ${type}`,
      directives: elementEnable(type),
      storage: [tensorBinding('src'), tensorBinding('dst')],
      uniforms: DIHEDRAL_PARAMS,
      body: `${elementWgsl(type)}
${SOURCE_OF}

${pixelKernel(
  'u.out_w',
  'u.out_h',
  `let p = source_of(y, x);
let in_h = select(u.j_h, u.j_w, u.transpose != 0u);
let in_w = select(u.j_w, u.j_h, u.transpose != 0u);
dst[u.out_offset + (c * u.j_h + y) * u.j_w + x] = src[u.in_offset + (c * in_h + p.x) * in_w + p.y];`,
)}`,
    }),
);

const accumulateVariant = variantPerElement(
  (type): KernelVariant =>
    defineKernel({
      key: `dihedral_accumulate ${type}`,
      directives: elementEnable(type),
      storage: [tensorBinding('src'), { name: 'acc', type: 'array<f32>', kind: 'storage' }],
      uniforms: DIHEDRAL_PARAMS,
      body: `${elementWgsl(type)}
${SOURCE_OF}

${pixelKernel(
  'u.out_w',
  'u.out_h',
  `let p = target_of(y, x);
let v = u.weight * f32(src[u.in_offset + (c * u.j_h + p.x) * u.j_w + p.y]);
let i = u.out_offset + (c * u.out_h + y) * u.out_w + x;
acc[i] = select(v, acc[i] + v, u.accumulate != 0u);`,
)}`,
    }),
);

export interface DihedralGatherDesc {
  /** I, in its own frame. */
  input: TensorRef;
  /** J = T(I): the transformed size. */
  output: TensorRef;
  transform: Dihedral;
  label?: string;
}

export function dihedralGather(desc: DihedralGatherDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `dihedral_gather "${desc.label}"` : 'dihedral_gather';
  const { input, output, transform } = desc;
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  checkSameShape(name, 'output', output, 'the transformed input', { channels: input.channels, ...transformedSize(transform, input.height, input.width) });
  if (elementTypeOf(input) !== elementTypeOf(output)) throw new WgsrError('BAD_ARGUMENT', `${name}: input and output must share an element type`);
  if (overlaps(input, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps the input`);
  return {
    variant: gatherVariant(elementTypeOf(input)),
    storage: [input.buffer, output.buffer],
    uniforms: pack(input.offset, output, output.height, output.width, transform, false, 1),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}

export interface DihedralAccumulateDesc {
  /** A network output on J = T(I), in J's frame (f32 or f16). */
  input: TensorRef;
  /** The accumulator in I's frame: f32, the input's size with the axes swapped back. */
  output: TensorRef;
  transform: Dihedral;
  /** What the input is multiplied by before it is added. */
  weight: number;
  /** false: store (the first transform), true: add to what is there. */
  accumulate: boolean;
  label?: string;
}

export function dihedralAccumulate(desc: DihedralAccumulateDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `dihedral_accumulate "${desc.label}"` : 'dihedral_accumulate';
  const { input, output, transform } = desc;
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  if (output.half) throw new WgsrError('BAD_ARGUMENT', `${name}: the accumulator must be f32`);
  checkSameShape(name, 'output', output, 'the input brought back', { channels: input.channels, ...transformedSize(transform, input.height, input.width) });
  if (!Number.isFinite(desc.weight)) throw new WgsrError('BAD_ARGUMENT', `${name}: weight ${desc.weight} is not finite`);
  if (overlaps(input, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps the input`);
  return {
    variant: accumulateVariant(elementTypeOf(input)),
    storage: [input.buffer, output.buffer],
    uniforms: pack(input.offset, output, input.height, input.width, transform, desc.accumulate, desc.weight),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}

function pack(inOffset: number, output: TensorRef, jh: number, jw: number, t: Dihedral, accumulate: boolean, weight: number): ArrayBuffer {
  return DIHEDRAL_PARAMS.pack({
    in_offset: inOffset,
    out_offset: output.offset,
    j_h: jh,
    j_w: jw,
    out_h: output.height,
    out_w: output.width,
    transpose: Number(t.transpose),
    flip_y: Number(t.flipY),
    flip_x: Number(t.flipX),
    accumulate: Number(accumulate),
    weight,
  });
}
