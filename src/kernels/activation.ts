import { WgsrError } from '../errors.js';
import { activationWgsl, leakySlope, type Activation, type ActivationKind } from './activations.js';
import { uploadFloat32 } from '../gpu/buffers.js';
import type { ElementType } from '../gpu/buffers.js';
import { dispatchElements, elementBindings, elementEnable, elementWgsl, tensorBinding } from './element.js';
import { pixelGrid, pixelKernel } from './grid.js';
import { checkElementwiseImages, checkImageBatch, checkLastImage, checkOutputsDisjoint, imagesAlongZ, type ImageBatch } from './images.js';
import { defineKernel, type KernelCall, type KernelVariant, type StorageBinding } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable, checkSameShape, checkTensor } from './validate.js';

export type { Activation } from './activations.js';

/** PReLU slopes on the GPU: one per channel, or one shared by all. */
export interface PreluSlopes {
  readonly buffer: GPUBuffer;
  readonly count: number;
}

export function uploadPreluSlopes(device: GPUDevice, slopes: Float32Array, label?: string): PreluSlopes {
  if (slopes.length === 0) throw new WgsrError('BAD_MODEL', `${label ?? 'PReLU'}: no slopes`);
  return { buffer: uploadFloat32(device, slopes, label), count: slopes.length };
}

/** A standalone activation, input → output; output may be the input itself (in place). */
export interface ActivationDesc {
  input: TensorRef;
  output: TensorRef;
  activation: Activation;
  /** Required for PReLU. */
  slopes?: PreluSlopes;
  /** Several images in one dispatch; absent: one. */
  images?: ImageBatch;
  label?: string;
}

export const ACTIVATION_PARAMS = uniformStruct('ActivationParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  /** LeakyReLU slope. */
  { name: 'slope', type: 'f32' },
  /** PReLU: 1 with a slope per channel, 0 with one shared slope. */
  { name: 'slope_stride', type: 'u32' },
  /** Channels per image: workgroups along z are images × channels. */
  { name: 'channels', type: 'u32' },
  { name: 'in_image', type: 'u32' },
  { name: 'out_image', type: 'u32' },
] as const);

const variants = new Map<string, KernelVariant>();

function variantFor(kind: ActivationKind, type: ElementType): KernelVariant {
  const key = `activation ${kind} ${type}`;
  let v = variants.get(key);
  if (v) return v;
  const slopes: StorageBinding[] = kind === 'prelu' ? [{ name: 'slopes', type: 'array<f32>', kind: 'read-only-storage' }] : [];
  const slope = kind === 'prelu' ? 'slopes[ch * u.slope_stride]' : 'u.slope';
  v = defineKernel({
    key,
    directives: elementEnable(type),
    storage: [tensorBinding('src'), tensorBinding('dst'), ...slopes, ...elementBindings(type)],
    uniforms: ACTIVATION_PARAMS,
    body: `${elementWgsl(type, true)}

${pixelKernel(
  'u.width',
  'u.height',
  `let image = c / u.channels;
let ch = c - image * u.channels;
let i = (ch * u.height + y) * u.width + x;
let v = f32(src[u.in_offset + image * u.in_image + i]);
dst[u.out_offset + image * u.out_image + i] = to_elem(${activationWgsl(kind, 'v', slope, 'f32')});`,
)}`,
  });
  variants.set(key, v);
  return v;
}

export function activation(desc: ActivationDesc, limits?: GPUSupportedLimits): KernelCall {
  const { input, output, activation: act, slopes } = desc;
  const name = desc.label ? `${act.kind} "${desc.label}"` : act.kind;
  const images = checkImageBatch(name, desc.images);
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  checkLastImage(name, 'input', input, images.inputStride, images.count, limits);
  checkLastImage(name, 'output', output, images.outputStride, images.count, limits);
  checkSameShape(name, 'output', output, 'input', input);
  // An invocation reads only the element it writes: another image's is off limits.
  checkElementwiseImages(name, 'input', input, images.inputStride, output, images);
  checkOutputsDisjoint(name, output, images);
  const storage = [input.buffer, output.buffer];
  if (act.kind === 'prelu') {
    if (!slopes) throw new WgsrError('BAD_ARGUMENT', `${name}: PReLU needs its slopes`);
    if (slopes.count !== 1 && slopes.count !== input.channels) {
      throw new WgsrError('BAD_ARGUMENT', `${name}: ${slopes.count} PReLU slopes for ${input.channels} channels; expected ${input.channels} or 1`);
    }
    checkBindable(`${name}: slopes`, slopes.buffer, limits);
    storage.push(slopes.buffer);
  }
  const elements = dispatchElements(name, [input, output]);
  storage.push(...elements.overflow);
  const [x, y, z] = pixelGrid(output);
  return {
    variant: variantFor(act.kind, elements.type),
    storage,
    uniforms: ACTIVATION_PARAMS.pack({
      in_offset: input.offset,
      out_offset: output.offset,
      height: input.height,
      width: input.width,
      slope: leakySlope(act),
      slope_stride: slopes && slopes.count > 1 ? 1 : 0,
      channels: output.channels,
      in_image: images.inputStride,
      out_image: images.outputStride,
    }),
    workgroups: [x, y, imagesAlongZ(name, z, images.count, limits)],
    label: desc.label,
  };
}
