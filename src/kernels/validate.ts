import { WgsrError } from '../errors.js';
import { elementBytes } from '../gpu/buffers.js';
import { elementTypeOf } from './element.js';
import { tensorElements, type TensorRef } from './tensor.js';

/**
 * Checks shared by every kernel launcher. A kernel binds whole buffers and addresses them by
 * element offsets, so the one thing that must hold for a dispatch to be safe is that every
 * tensor lies inside its buffer and the buffer can be bound at all.
 */
export function checkTensor(
  kernel: string,
  role: string,
  t: TensorRef,
  limits?: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize'>,
): void {
  const where = `${kernel}: ${role}`;
  for (const [name, v] of [['channels', t.channels], ['height', t.height], ['width', t.width]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new WgsrError('BAD_ARGUMENT', `${where} has ${name} ${v}; expected a positive integer`);
  }
  if (!Number.isInteger(t.offset) || t.offset < 0) {
    throw new WgsrError('BAD_ARGUMENT', `${where} has element offset ${t.offset}; expected a non-negative integer`);
  }
  const end = t.offset + tensorElements(t);
  const bytes = elementBytes(elementTypeOf(t));
  if (end * bytes > t.buffer.size) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `${where} [${t.channels}, ${t.height}, ${t.width}] at element ${t.offset} ends at byte ${end * bytes}, ` +
        `past the end of its ${t.buffer.size}-byte buffer${t.buffer.label ? ` "${t.buffer.label}"` : ''}`,
    );
  }
  // u32 element indices in the shaders.
  if (end > 0xffffffff) throw new WgsrError('BAD_ARGUMENT', `${where} ends at element ${end}, beyond 32-bit indexing`);
  checkBindable(where, t.buffer, limits);
}

export function checkBindable(
  where: string,
  buffer: GPUBuffer,
  limits?: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize'>,
): void {
  if (limits && buffer.size > limits.maxStorageBufferBindingSize) {
    throw new WgsrError(
      'GPU_OUT_OF_MEMORY',
      `${where}: its buffer is ${buffer.size} bytes but this adapter binds at most ` +
        `${limits.maxStorageBufferBindingSize} bytes per storage buffer; use a smaller tile`,
    );
  }
}

export function checkSameShape(kernel: string, roleA: string, a: Shape, roleB: string, b: Shape): void {
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `${kernel}: ${roleA} is [${a.channels}, ${a.height}, ${a.width}] but ${roleB} is [${b.channels}, ${b.height}, ${b.width}]`,
    );
  }
}

type Shape = Pick<TensorRef, 'channels' | 'height' | 'width'>;

/** True when the two tensors share a buffer and their element ranges intersect. */
export function overlaps(a: TensorRef, b: TensorRef): boolean {
  if (a.buffer !== b.buffer) return false;
  const aEnd = a.offset + tensorElements(a);
  const bEnd = b.offset + tensorElements(b);
  return a.offset < bEnd && b.offset < aEnd;
}

/** Same buffer, same offset, same shape: an element-wise kernel may then read and write it in place. */
export function sameTensor(a: TensorRef, b: TensorRef): boolean {
  return a.buffer === b.buffer && a.offset === b.offset && a.channels === b.channels && a.height === b.height && a.width === b.width;
}

/**
 * A kernel whose invocation writes element i and reads only element i of `input` can run in
 * place; any partial overlap would let one invocation read what another already overwrote.
 */
export function checkElementwiseAlias(kernel: string, role: string, input: TensorRef, output: TensorRef): void {
  if (overlaps(input, output) && !sameTensor(input, output)) {
    throw new WgsrError('BAD_ARGUMENT', `${kernel}: ${role} partly overlaps the output in the same buffer; use the same range (in place) or disjoint ranges`);
  }
}

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
