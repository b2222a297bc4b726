import { WgsrError } from '../errors.js';
import type { TensorRef } from './tensor.js';
import type { UniformField } from './uniforms.js';
import { ceilDiv, checkBindable } from './validate.js';

/**
 * The tensor handle of the training kernels: a batch of N images [C, H, W], f32, image b at
 * element `offset + b·batchStride` of `buffer`. The images of a plain value are consecutive
 * (batchStride = C·H·W); a channel slice of a larger storage (a dense block's concatenation, or
 * the gradient of one) has the storage's image size as its stride, so slices stay free in
 * training as they are in inference.
 */
export interface BatchedRef {
  readonly buffer: GPUBuffer;
  /** Element offset of image 0, channel 0. */
  readonly offset: number;
  readonly batch: number;
  /** Elements between the starts of consecutive images (≥ C·H·W). */
  readonly batchStride: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Image b of a batch, as the inference kernels take it. */
export function imageOf(t: BatchedRef, b: number): TensorRef {
  if (!Number.isInteger(b) || b < 0 || b >= t.batch) throw new Error(`image ${b} of a batch of ${t.batch}`);
  return { buffer: t.buffer, offset: t.offset + b * t.batchStride, channels: t.channels, height: t.height, width: t.width };
}

/** Channels [from, from + count) of every image. */
export function batchedSlice(t: BatchedRef, from: number, count: number): BatchedRef {
  if (from < 0 || count <= 0 || from + count > t.channels) throw new Error(`channel slice [${from}, ${from + count}) outside a ${t.channels}-channel batch`);
  return { ...t, offset: t.offset + from * t.height * t.width, channels: count };
}

/** Checks that every image lies inside the buffer, which can be bound, within 32-bit indexing. */
export function checkBatched(kernel: string, role: string, t: BatchedRef, limits?: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize'>): void {
  const where = `${kernel}: ${role}`;
  for (const [name, v] of [['batch', t.batch], ['channels', t.channels], ['height', t.height], ['width', t.width]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new WgsrError('BAD_ARGUMENT', `${where} has ${name} ${v}; expected a positive integer`);
  }
  const image = t.channels * t.height * t.width;
  if (!Number.isInteger(t.offset) || t.offset < 0 || !Number.isInteger(t.batchStride) || (t.batch > 1 && t.batchStride < image)) {
    throw new WgsrError('BAD_ARGUMENT', `${where} has offset ${t.offset} and image stride ${t.batchStride}; expected integers, the stride at least ${image}`);
  }
  const end = t.offset + (t.batch - 1) * t.batchStride + image;
  if (end * 4 > t.buffer.size) {
    throw new WgsrError('BAD_ARGUMENT', `${where} [${t.batch}, ${t.channels}, ${t.height}, ${t.width}] ends at byte ${end * 4}, past its ${t.buffer.size}-byte buffer`);
  }
  if (end > 0xffffffff) throw new WgsrError('BAD_ARGUMENT', `${where} ends at element ${end}, beyond 32-bit indexing`);
  checkBindable(where, t.buffer, limits);
}

export function checkSameBatchShape(kernel: string, roleA: string, a: BatchedRef, roleB: string, b: Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>): void {
  if (a.batch !== b.batch || a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `${kernel}: ${roleA} is [${a.batch}, ${a.channels}, ${a.height}, ${a.width}] but ${roleB} is [${b.batch}, ${b.channels}, ${b.height}, ${b.width}]`,
    );
  }
}

/**
 * True when two batches share an element. Slices of one storage (same image stride) interleave
 * image by image without touching, so for them the images are compared one by one; batches
 * laid out otherwise are compared by their whole spans.
 */
export function batchesOverlap(a: BatchedRef, b: BatchedRef): boolean {
  if (a.buffer !== b.buffer) return false;
  const size = (t: BatchedRef) => t.channels * t.height * t.width;
  const hit = (a0: number, b0: number) => a0 < b0 + size(b) && b0 < a0 + size(a);
  if (a.batch === b.batch && a.batchStride === b.batchStride && a.batchStride > 0) {
    // Image i of a against image i + k of b, for the shifts k that can bring them together.
    const s = a.batchStride;
    const k0 = Math.floor((a.offset - b.offset) / s);
    for (const k of [k0 - 1, k0, k0 + 1]) if (Math.abs(k) < a.batch && hit(a.offset, b.offset + k * s)) return true;
    return false;
  }
  const span = (t: BatchedRef) => (t.batch - 1) * t.batchStride + size(t);
  return a.offset < b.offset + span(b) && b.offset < a.offset + span(a);
}

/** Same place and shape: an element-wise kernel may then update it in place. */
export const sameBatch = (a: BatchedRef, b: BatchedRef): boolean =>
  a.buffer === b.buffer && a.offset === b.offset && a.batchStride === b.batchStride && a.channels === b.channels && a.height === b.height && a.width === b.width && a.batch === b.batch;

/** The offset and image stride uniforms of a tensor named `name` (`<name>_off`, `<name>_stride`). */
export const batchedFields = (name: string): UniformField[] => [
  { name: `${name}_off`, type: 'u32' },
  { name: `${name}_stride`, type: 'u32' },
];

export const batchedValues = (name: string, t: BatchedRef): Record<string, number> => ({ [`${name}_off`]: t.offset, [`${name}_stride`]: t.batchStride });

/** WGSL: the element (b, c, y, x) of tensor `name` whose image is `h`×`w` (expressions). */
export const batchedIndex = (name: string, h = 'u.height', w = 'u.width', c = 'c', y = 'y', x = 'x'): string =>
  `u.${name}_off + b * u.${name}_stride + ((${c}) * ${h} + (${y})) * ${w} + (${x})`;

export const BATCHED_WORKGROUP = { x: 16, y: 4 } as const;

/**
 * The entry point of a per-element kernel over a batch: x and y over the width and height, z
 * over images × channels (b = z / channels, c = z % channels: one division per invocation).
 */
export function batchedPixelKernel(width: string, height: string, channels: string, body: string): string {
  return `@compute @workgroup_size(${BATCHED_WORKGROUP.x}, ${BATCHED_WORKGROUP.y}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = gid.x;
  let y = gid.y;
  if (x >= ${width} || y >= ${height}) { return; }
  let b = gid.z / ${channels};
  let c = gid.z % ${channels};
${body
  .trim()
  .split('\n')
  .map((line) => `  ${line}`)
  .join('\n')}
}
`;
}

export function batchedGrid(t: Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>): [number, number, number] {
  const z = t.batch * t.channels;
  if (z > 65535) throw new WgsrError('BAD_ARGUMENT', `a batch of ${t.batch} × ${t.channels} channels is more than one dispatch covers (65535); use a smaller batch`);
  return [ceilDiv(t.width, BATCHED_WORKGROUP.x), ceilDiv(t.height, BATCHED_WORKGROUP.y), z];
}

/**
 * Workgroups for `count` invocations of a 1-D kernel of `size` lanes, spread over x and y when
 * x alone would pass the 65535 limit; the kernel's index is gid.x + gid.y·(x workgroups·size).
 */
export function linearGrid(count: number, size: number): { workgroups: [number, number, number]; rowLength: number } {
  const groups = Math.max(1, ceilDiv(count, size));
  const x = Math.min(groups, 65535);
  return { workgroups: [x, ceilDiv(groups, x), 1], rowLength: x * size };
}
