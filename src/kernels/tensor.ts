/**
 * The one tensor handle every kernel takes: a [C, H, W] f32 or f16 tensor (batch 1, NCHW) living at
 * element `offset` of `buffer`. Channel c starts at `offset + c * height * width`, so a run of
 * channels is contiguous: a channel prefix or slice of a larger tensor is just another
 * TensorRef with a different offset and channel count. That is how dense concatenation costs
 * nothing (ARCHITECTURE.md, decision 2).
 */
export interface TensorRef {
  readonly buffer: GPUBuffer;
  /** In elements (not bytes) from the start of the buffer. */
  readonly offset: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /**
   * Present when the elements are stored as f16 (absent: f32). `overflow` is a 4-byte flag a
   * kernel sets to non-zero when a value it writes does not fit f16 (element.ts).
   */
  readonly half?: { readonly overflow: GPUBuffer };
}

export const tensorElements = (t: Pick<TensorRef, 'channels' | 'height' | 'width'>) => t.channels * t.height * t.width;

/** Channels [from, from + count) of `t`. */
export function channelSlice(t: TensorRef, from: number, count: number): TensorRef {
  if (from < 0 || count < 0 || from + count > t.channels) {
    throw new Error(`channel slice [${from}, ${from + count}) outside a ${t.channels}-channel tensor`);
  }
  return { ...t, offset: t.offset + from * t.height * t.width, channels: count };
}
