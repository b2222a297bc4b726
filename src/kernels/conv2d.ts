import { WgsrError } from '../errors.js';
import type { Activation } from './activations.js';
import { chooseGemmTile, GEMM_GROUPS, GEMM_PIXELS, gemmConv2dVariant } from './conv2d-gemm-wgsl.js';
import { convVariant, type ConvKernelName } from './conv2d-variants.js';
import { CONV2D_PARAMS, conv2dVariant, type ConvActivationKind } from './conv2d-wgsl.js';
import type { PackedConv2dWeights } from './conv2d-weights.js';
import { dispatchElements } from './element.js';
import type { KernelCall } from './program.js';
import { anyImagesOverlap, checkElementwiseImages, checkImageBatch, checkLastImage, checkOutputsDisjoint, imagesAlongZ, type ImageBatch } from './images.js';
import type { TensorRef } from './tensor.js';
import { ceilDiv, checkBindable, checkSameShape, checkTensor } from './validate.js';

export type { Activation } from './activations.js';
export { packConv2dWeights, type PackedConv2dWeights } from './conv2d-weights.js';
export { chooseConvTile } from './conv2d-tile.js';

export type InputTransform =
  | { kind: 'none' }
  | { kind: 'upsample_nearest'; factor: number }
  | { kind: 'pixel_unshuffle'; factor: 2 | 4 };

export interface Conv2dDesc {
  /** The tensor *before* the input transform; channels = what is read (a prefix of a larger buffer is fine). */
  input: TensorRef;
  /** The conv reads upsample(input) or unshuffle(input) without materialising it. */
  inputTransform?: InputTransform;
  weights: PackedConv2dWeights;
  /** channels = cout; may be a slice of a larger buffer, even the input's buffer (not overlapping what is read). */
  output: TensorRef;
  /** Applied after the bias. */
  activation?: Activation;
  /** out = alpha·act(conv + bias) + beta·r1 + gamma·r2 (RRDB: 0.2·y + x; nested: 0.04·y + 0.2·x3 + x0). */
  residual?: { alpha: number; r1: TensorRef; beta: number; r2?: TensorRef; gamma?: number };
  /**
   * Several images in one dispatch (a training batch): the tensors above are image 0, and
   * image b of each starts `b × its stride` elements after it. Absent: one image.
   */
  images?: ConvImages;
  label?: string;
}

/** A conv's batch: the residuals' image strides default to the output's. */
export interface ConvImages extends ImageBatch {
  readonly r1Stride?: number;
  readonly r2Stride?: number;
}

/** The conv's own input size: the input's size after the transform. */
export function convInputShape(input: TensorRef, transform: InputTransform | undefined): { channels: number; height: number; width: number } {
  const t = transform ?? { kind: 'none' };
  switch (t.kind) {
    case 'none':
      return { channels: input.channels, height: input.height, width: input.width };
    case 'upsample_nearest':
      return { channels: input.channels, height: input.height * t.factor, width: input.width * t.factor };
    case 'pixel_unshuffle':
      return { channels: input.channels * t.factor * t.factor, height: input.height / t.factor, width: input.width / t.factor };
  }
}

/**
 * One conv as a kernel call, computed by `kernel` (default: the register tile). A variant that
 * cannot run this conv (its storage precision, its workgroup memory) is a BAD_ARGUMENT: the
 * choice is made ahead, by engine/kernels.ts, from the same checks.
 */
export function conv2d(desc: Conv2dDesc, limits: GPUSupportedLimits, kernel: ConvKernelName = 'register-tile'): KernelCall {
  const name = desc.label ? `conv2d "${desc.label}"` : 'conv2d';
  const { input, weights: w, output } = desc;
  const transform = desc.inputTransform ?? { kind: 'none' };
  const images: ConvImages = checkImageBatch(name, desc.images);
  if (images.r2Stride !== undefined && !desc.residual?.r2) throw new WgsrError('BAD_ARGUMENT', `${name}: an r2 image stride without an r2 residual`);
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  checkLastImage(name, 'input', input, images.inputStride, images.count, limits);
  checkLastImage(name, 'output', output, images.outputStride, images.count, limits);
  checkBindable(`${name}: weights`, w.buffer, limits);
  let factor = 1;
  if (transform.kind !== 'none') {
    factor = transform.factor;
    if (!Number.isInteger(factor) || factor < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: ${transform.kind} factor ${factor} is not a positive integer`);
    if (transform.kind === 'pixel_unshuffle' && (input.height % factor !== 0 || input.width % factor !== 0)) {
      throw new WgsrError('BAD_ARGUMENT', `${name}: pixel_unshuffle by ${factor} needs a height and width divisible by ${factor}, got ${input.height}×${input.width}`);
    }
  }
  const conv = convInputShape(input, transform);
  if (conv.channels !== w.cin) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: reads ${conv.channels} input channels (after ${transform.kind}) but the weights expect ${w.cin}`);
  }
  checkSameShape(name, 'output', output, `the conv of the ${transform.kind === 'none' ? 'input' : `${transform.kind}d input`}`, {
    channels: w.cout,
    height: conv.height,
    width: conv.width,
  });
  // Neighbouring invocations read pixels this one writes: the ranges must be disjoint, in
  // every image.
  if (anyImagesOverlap(input, images.inputStride, output, images.outputStride, images.count)) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: the output range overlaps the input range in the same buffer`);
  }
  checkOutputsDisjoint(name, output, images);
  const activation = desc.activation ?? { kind: 'none' };
  if (activation.kind === 'prelu' && !w.hasPrelu) throw new WgsrError('BAD_ARGUMENT', `${name}: PReLU activation but the weights were packed without slopes`);
  const r = desc.residual;
  const residualStrides = [images.r1Stride ?? images.outputStride, images.r2Stride ?? images.outputStride];
  const residuals: TensorRef[] = [];
  if (r) {
    residuals.push(r.r1);
    if (r.r2) residuals.push(r.r2);
    residuals.forEach((t, i) => {
      const role = `residual r${i + 1}`;
      checkTensor(name, role, t, limits);
      checkSameShape(name, role, t, 'output', output);
      checkLastImage(name, role, t, residualStrides[i]!, images.count, limits);
      // An invocation reads the residual only where it writes: another image's is off limits.
      checkElementwiseImages(name, role, t, residualStrides[i]!, output, images);
    });
  }

  const elements = dispatchElements(name, [input, output, ...residuals]);
  const tile = w.tile;
  const common = {
    element: elements.type,
    k: w.kernelSize,
    transform: transform.kind === 'pixel_unshuffle' ? ('pixel_unshuffle' as const) : ('nearest' as const),
    activation: epilogueActivation(activation),
  };
  let variant;
  let workgroups: [number, number, number];
  if (kernel === 'register-tile') {
    variant = conv2dVariant({ ...common, tile });
    workgroups = [ceilDiv(ceilDiv(conv.width, tile.px), tile.wgX), ceilDiv(ceilDiv(conv.height, tile.py), tile.wgY), w.coutGroups / tile.cv];
  } else {
    const family = convVariant(kernel);
    if (!family) throw new WgsrError('BAD_ARGUMENT', `${name}: no conv kernel "${String(kernel)}"`);
    if (!family.storage.includes(elements.type)) throw new WgsrError('BAD_ARGUMENT', `${name}: the ${kernel} kernel runs with ${family.storage.join('/')} activations, not ${elements.type}`);
    const groups = Math.ceil(w.cout / 4);
    const gemm = chooseGemmTile(w.kernelSize, groups, family.math, limits);
    if (!gemm) throw new WgsrError('BAD_ARGUMENT', `${name}: ${family.layerUnsupported(w.kernelSize, groups, limits)}`);
    variant = gemmConv2dVariant({ ...common, math: family.math, tile: gemm, packCv: tile.cv });
    workgroups = [ceilDiv(conv.width, GEMM_PIXELS * gemm.tx), ceilDiv(conv.height, gemm.ty), ceilDiv(groups, GEMM_GROUPS * gemm.tc)];
  }
  const zGroups = workgroups[2];
  workgroups[2] = imagesAlongZ(name, zGroups, images.count, limits);
  // Unused residual bindings get the output's buffer: it shares the output's binding then.
  const [r1 = output, r2 = output] = residuals;
  const uniforms = CONV2D_PARAMS.pack({
    in_offset: input.offset,
    in_h: input.height,
    in_w: input.width,
    factor,
    height: conv.height,
    width: conv.width,
    cin: w.cin,
    cout: w.cout,
    w_stride: w.tileStride,
    bias_offset: w.biasOffset,
    prelu_offset: w.preluOffset,
    out_offset: output.offset,
    r1_offset: r?.r1.offset ?? 0,
    r2_offset: r?.r2?.offset ?? 0,
    residuals: residuals.length,
    z_groups: zGroups,
    in_image: images.inputStride,
    out_image: images.outputStride,
    r1_image: residualStrides[0],
    r2_image: residualStrides[1],
    alpha: r?.alpha ?? 1,
    beta: r?.beta ?? 0,
    gamma: r?.gamma ?? 0,
    slope: activation.kind === 'leaky_relu' ? activation.slope : activation.kind === 'relu' ? 0 : 1,
  });
  return {
    variant,
    storage: [input.buffer, w.buffer, output.buffer, r1.buffer, r2.buffer, ...elements.overflow],
    uniforms,
    workgroups,
    label: desc.label,
  };
}

/** None, ReLU and LeakyReLU are all LeakyReLU with a uniform slope (1, 0, s): one variant. */
function epilogueActivation(a: Activation): ConvActivationKind {
  return a.kind === 'prelu' || a.kind === 'tanh' ? a.kind : 'leaky';
}

/** Multiply-adds × 2 of a k×k conv from cin to cout channels over `pixels` output pixels. */
export const convFlops = (cin: number, cout: number, k: number, pixels: number): number => 2 * cin * cout * k * k * pixels;

/** Multiply-adds × 2 of one conv (H, W after the input transform). */
export const conv2dFlops = (desc: Pick<Conv2dDesc, 'input' | 'inputTransform' | 'weights'>): number => {
  const { height, width } = convInputShape(desc.input, desc.inputTransform);
  const w = desc.weights;
  return convFlops(w.cin, w.cout, w.kernelSize, height * width);
};
