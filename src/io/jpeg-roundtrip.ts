import { WgsrError } from '../errors.js';
import { decodeJpeg, encodeJpeg } from './jpeg.js';

/**
 * The JPEG codec the training degradations use in Node (the core's JpegCodec): 8-bit RGB pixels
 * encoded at `quality` by jpeg-js and decoded again. jpeg-js writes 4:4:4 (no chroma
 * subsampling), where libjpeg's default, and so OpenCV's and Real-ESRGAN's DiffJPEG, is 4:2:0:
 * its colour artefacts are milder at the same quality.
 */
export function jpegRoundTrip(rgb: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  if (rgb.length !== width * height * 3) throw new WgsrError('BAD_ARGUMENT', `jpegRoundTrip: ${rgb.length} bytes is not ${width}×${height} RGB`);
  const bytes = encodeJpeg({ width, height, channels: 3, bitDepth: 8, data: rgb }, 'degradation JPEG', quality);
  const decoded = decodeJpeg(bytes, 'degradation JPEG');
  return decoded.data as Uint8Array;
}
