/**
 * Every failure a user can cause (a bad file, a bad option, a missing GPU) is a WgsrError with a
 * stable `code` and a message that says what went wrong, where, and what to do. The CLI prints
 * `message` alone (no stack trace); library users can switch on `code`.
 */
export type WgsrErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_MODEL'
  | 'UNSAFE_MODEL'
  | 'UNSUPPORTED_MODEL'
  | 'BAD_IMAGE'
  | 'IO'
  /** A model could not be downloaded (offline, an HTTP error, a stall, a short body). */
  | 'NETWORK'
  | 'NO_GPU'
  | 'GPU_SELF_TEST'
  | 'GPU_OUT_OF_MEMORY'
  | 'DEVICE_LOST'
  | 'ABORTED'
  | 'NUMERIC'
  /** An f16 run left f16's range; the upscaler redoes such work in f32. */
  | 'F16_OVERFLOW';

export class WgsrError extends Error {
  override readonly name = 'WgsrError';
  constructor(
    readonly code: WgsrErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isWgsrError(e: unknown): e is WgsrError {
  return e instanceof Error && e.name === 'WgsrError' && typeof (e as WgsrError).code === 'string';
}
