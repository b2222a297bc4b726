import { WgsrError } from '../errors.js';

/** The largest image a decoder may allocate, checked against the file's header before decoding. */
export interface ImageLimits {
  /** Largest width or height, in pixels. Default 20000. */
  maxSide?: number;
  /** Largest width·height. Default 400 megapixels. */
  maxPixels?: number;
}

export const DEFAULT_LIMITS: Required<ImageLimits> = { maxSide: 20_000, maxPixels: 400_000_000 };

/**
 * Refuses a header that declares an empty or absurd size, before any pixel memory exists: a
 * 100-byte file can claim 100000×100000 pixels (40 GB of RGBA).
 */
export function checkDeclaredSize(name: string, format: string, width: number, height: number, limits: ImageLimits = {}): void {
  const { maxSide, maxPixels } = { ...DEFAULT_LIMITS, ...limits };
  if (width < 1 || height < 1) {
    throw new WgsrError('BAD_IMAGE', `${name}: ${format} header claims ${width}×${height} pixels; the image is empty or corrupt`);
  }
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: ${format} header claims ${width}×${height} pixels, above the limit of ${maxSide} pixels per side ` +
        `and ${(maxPixels / 1e6).toFixed(0)} megapixels; the file is corrupt or hostile, or raise the limit ` +
        `(ImageLimits maxSide/maxPixels) if you really mean it`,
    );
  }
}
