import { float16BitsToFloat32 } from '../half.js';
import { elementBytes, type ElementType } from './buffers.js';

/**
 * Where a tensor (and a 4-byte flag after it) land in a read-back buffer. Copies move whole
 * 4-byte words, so an f16 tensor at an odd element is copied from the word before it and
 * `skip` bytes are dropped.
 */
export interface ReadBackLayout {
  readonly element: ElementType;
  /** Byte in the source buffer the copy starts at. */
  readonly sourceStart: number;
  readonly skip: number;
  /** Elements of the tensor. */
  readonly count: number;
  /** Bytes the tensor's copy moves. */
  readonly tensorBytes: number;
  /** Where the flag goes, when there is one. */
  readonly flagAt: number;
  /** Bytes to map. */
  readonly bytes: number;
}

export function readBackLayout(offset: number, count: number, element: ElementType, withFlag: boolean): ReadBackLayout {
  const start = offset * elementBytes(element);
  const sourceStart = start - (start % 4);
  const skip = start - sourceStart;
  const tensorBytes = Math.ceil((skip + count * elementBytes(element)) / 4) * 4;
  return { element, sourceStart, skip, count, tensorBytes, flagAt: tensorBytes, bytes: tensorBytes + (withFlag ? 4 : 0) };
}

/** Queues the copies of the tensor (and the flag) into `staging` as the layout says. */
export function encodeReadBack(encoder: GPUCommandEncoder, layout: ReadBackLayout, source: GPUBuffer, staging: GPUBuffer, flag?: GPUBuffer): void {
  encoder.copyBufferToBuffer(source, layout.sourceStart, staging, 0, layout.tensorBytes);
  if (flag) encoder.copyBufferToBuffer(flag, 0, staging, layout.flagAt, 4);
}

/** The tensor as f32 and the flag's value, from a mapped read-back buffer. */
export function decodeReadBack(staging: GPUBuffer, layout: ReadBackLayout): { values: Float32Array; flag: number } {
  const mapped = new Uint8Array(staging.getMappedRange(0, layout.bytes));
  const bytes = mapped.slice(layout.skip, layout.skip + layout.count * elementBytes(layout.element));
  const values = layout.element === 'f16' ? float16BitsToFloat32(new Uint16Array(bytes.buffer)) : new Float32Array(bytes.buffer);
  const flag = layout.bytes > layout.flagAt ? new Uint32Array(mapped.slice(layout.flagAt, layout.flagAt + 4).buffer)[0]! : 0;
  return { values, flag };
}
