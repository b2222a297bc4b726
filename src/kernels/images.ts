import { WgsrError } from '../errors.js';
import type { TensorRef } from './tensor.js';
import { checkElementwiseAlias, checkTensor, overlaps } from './validate.js';

/**
 * Several images in one dispatch (a training batch): the kernel's tensors describe image 0,
 * and image b of each starts `b × its stride` elements after it. A dispatch per 32×32 image
 * would leave a GPU idle and costs a CPU adapter its per-dispatch overhead each time.
 */
export interface ImageBatch {
  readonly count: number;
  /** Elements between consecutive images of the input and of the output. */
  readonly inputStride: number;
  readonly outputStride: number;
}

export const ONE_IMAGE: ImageBatch = { count: 1, inputStride: 0, outputStride: 0 };

/** Image b of a tensor whose images are `stride` elements apart. */
export const imageAt = (t: TensorRef, stride: number, b: number): TensorRef => ({ ...t, offset: t.offset + b * stride });

/** Checks the count and every `…Stride`; returns the batch, or one image when absent. */
export function checkImageBatch<T extends ImageBatch>(kernel: string, images: T | undefined): T | ImageBatch {
  if (!images) return ONE_IMAGE;
  if (!Number.isInteger(images.count) || images.count < 1) throw new WgsrError('BAD_ARGUMENT', `${kernel}: ${images.count} images; expected a positive integer`);
  for (const [key, stride] of Object.entries(images)) {
    if (key.endsWith('Stride') && stride !== undefined && (!Number.isInteger(stride) || stride < 0)) {
      throw new WgsrError('BAD_ARGUMENT', `${kernel}: ${key.slice(0, -'Stride'.length)} image stride ${stride}; expected a non-negative integer`);
    }
  }
  return images;
}

/** checkTensor for the last image (the first is checked as the tensor itself). */
export function checkLastImage(kernel: string, role: string, t: TensorRef, stride: number, count: number, limits?: GPUSupportedLimits): void {
  if (count > 1) checkTensor(kernel, `${role} image ${count - 1}`, imageAt(t, stride, count - 1), limits);
}

/**
 * Whether image i of `a` overlaps image j of `b` for any i, j (i ≠ j only, with `othersOnly`).
 * The images of a batch may interleave (channel slices of one storage share its stride), so
 * comparing whole spans would reject layouts that are fine.
 */
export function anyImagesOverlap(a: TensorRef, aStride: number, b: TensorRef, bStride: number, count: number, othersOnly = false): boolean {
  if (a.buffer !== b.buffer) return false;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      if (othersOnly && i === j) continue;
      if (overlaps(imageAt(a, aStride, i), imageAt(b, bStride, j))) return true;
    }
  }
  return false;
}

/** Workgroups along z for `count` images of `zPerImage` each, within the adapter's limit (else BAD_ARGUMENT). */
export function imagesAlongZ(kernel: string, zPerImage: number, count: number, limits?: Pick<GPUSupportedLimits, 'maxComputeWorkgroupsPerDimension'>): number {
  const max = limits?.maxComputeWorkgroupsPerDimension ?? 65535;
  const total = zPerImage * count;
  if (total > max) {
    throw new WgsrError('BAD_ARGUMENT', `${kernel}: ${count} images × ${zPerImage} workgroups each need ${total} workgroups along z, over this adapter's ${max}; run fewer images per dispatch`);
  }
  return total;
}

/** Two images writing the same elements would race. */
export function checkOutputsDisjoint(kernel: string, output: TensorRef, images: ImageBatch): void {
  if (anyImagesOverlap(output, images.outputStride, output, images.outputStride, images.count, true)) {
    throw new WgsrError('BAD_ARGUMENT', `${kernel}: the outputs of two images overlap (output image stride ${images.outputStride})`);
  }
}

/**
 * A tensor read element for element where the output is written (an activation's input, a
 * conv's residual): in each image it is the output itself or apart from it
 * (checkElementwiseAlias), and it never overlaps another image's output.
 */
export function checkElementwiseImages(kernel: string, role: string, t: TensorRef, stride: number, output: TensorRef, images: ImageBatch): void {
  for (let b = 0; b < images.count; b++) checkElementwiseAlias(kernel, role, imageAt(t, stride, b), imageAt(output, images.outputStride, b));
  if (anyImagesOverlap(t, stride, output, images.outputStride, images.count, true)) {
    throw new WgsrError('BAD_ARGUMENT', `${kernel}: ${role} of one image overlaps the output of another`);
  }
}
