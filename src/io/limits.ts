import { WgsrError } from '../errors.js';

/** The largest image a decoder may allocate, checked against the file's header before decoding. */
export interface ImageLimits {
  /** Largest width or height, in pixels. Default 20000. */
  maxSide?: number;
  /** Largest width·height. Default 400 megapixels. */
  maxPixels?: number;
  /**
   * Most memory, in bytes, one decode may take, estimated from the header before decoding
   * (jpeg.ts and png.ts say how). Default 4 GiB.
   */
  maxDecoderMemory?: number;
}

export const DEFAULT_LIMITS: Required<ImageLimits> = { maxSide: 20_000, maxPixels: 400_000_000, maxDecoderMemory: 4 * 2 ** 30 };

/** The limits in force: each one given, or its default (an explicit undefined is "not given"). */
export function resolveLimits(limits: ImageLimits = {}): Required<ImageLimits> {
  return {
    maxSide: limits.maxSide ?? DEFAULT_LIMITS.maxSide,
    maxPixels: limits.maxPixels ?? DEFAULT_LIMITS.maxPixels,
    maxDecoderMemory: limits.maxDecoderMemory ?? DEFAULT_LIMITS.maxDecoderMemory,
  };
}

/** How a user raises a limit, named in every refusal that a limit (not the file) causes. */
const RAISE = '(wgsr upscale: --max-side, --max-pixels, --max-decoder-memory; in code: ImageLimits)';

/**
 * Refuses a header that declares an empty or absurd size, before any pixel memory exists: a
 * 100-byte file can claim 100000×100000 pixels (40 GB of RGBA).
 */
export function checkDeclaredSize(name: string, format: string, width: number, height: number, limits: ImageLimits = {}): void {
  const { maxSide, maxPixels } = resolveLimits(limits);
  if (width < 1 || height < 1) {
    throw new WgsrError('BAD_IMAGE', `${name}: ${format} header claims ${width}×${height} pixels; the image is empty or corrupt`);
  }
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: ${format} header claims ${width}×${height} pixels, above the limit of ${maxSide} pixels per side ` +
        `and ${(maxPixels / 1e6).toFixed(0)} megapixels; the file is corrupt or hostile, or raise the limit ` +
        `if you really mean it ${RAISE}`,
    );
  }
}

/** Refuses a decode whose estimated memory (`bytes`) is above the budget, before it starts. */
export function checkDecoderMemory(name: string, what: string, bytes: number, limits: ImageLimits = {}): void {
  const { maxDecoderMemory } = resolveLimits(limits);
  if (bytes > maxDecoderMemory) {
    const gb = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 2 : 1)} GiB`;
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: decoding this ${what} needs about ${gb(bytes)} of memory, above the limit of ${gb(maxDecoderMemory)}; ` +
        `make the image smaller, or raise the limit if the machine has the memory ${RAISE}`,
    );
  }
}
