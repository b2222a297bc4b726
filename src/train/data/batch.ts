/**
 * A batch as the trainer's step() takes it: NCHW float32, values in [0, 1]. (The same shape as
 * the public Tensor4; declared here because the train room sits below the public API.)
 */
export interface ImageBatch {
  readonly shape: readonly [number, number, number, number];
  readonly data: Float32Array;
}

export function emptyBatch(n: number, c: number, h: number, w: number): ImageBatch {
  return { shape: [n, c, h, w], data: new Float32Array(n * c * h * w) };
}

/** A training step's input and target. `index` is the batch's place in the run (0, 1, …). */
export interface TrainingBatch {
  readonly index: number;
  readonly lr: ImageBatch;
  readonly hr: ImageBatch;
}
