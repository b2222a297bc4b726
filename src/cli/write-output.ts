import { WgsrError } from '../errors.js';
import { PngRowWriter, writeImage } from '../io/index.js';
import { sameFile } from '../io/atomic.js';
import type { ImageFormat } from '../io/sniff.js';
import type { Image } from '../image/types.js';
import type { UpscaleCallOptions, Upscaler } from '../upscaler.js';

/**
 * PNG outputs of at least this many pixels are streamed to the file band by band
 * (PngRowWriter) instead of held whole and encoded at the end. Measured with bench/stream-png.mjs
 * (see the README's reliability section): streaming holds one band instead of the image, and its
 * encoder is faster than pngjs's, so only tiny outputs keep the whole-image path.
 */
export const STREAM_PNG_MIN_PIXELS = 1 << 20;

export interface OutputJob {
  input: string;
  output: string;
  format: ImageFormat;
}

/**
 * Upscales `image` and writes it to `job.output`: a large PNG streamed row band by row band, as
 * it is made; anything else (JPEG and WebP: their encoders take the whole image) whole.
 * Resolves to the output's size.
 */
export async function upscaleToFile(
  up: Upscaler,
  image: Image,
  job: OutputJob,
  call: UpscaleCallOptions,
  write: { quality?: number; icc?: Uint8Array },
): Promise<{ width: number; height: number }> {
  const scale = call.outscale ?? up.info.scale;
  const pixels = Math.trunc(image.width * scale) * Math.trunc(image.height * scale);
  if (job.format !== 'png' || pixels < STREAM_PNG_MIN_PIXELS) {
    const result = await up.upscale(image, call);
    if (call.signal?.aborted) throw new WgsrError('ABORTED', 'cancelled');
    await writeImage(job.output, result, { quality: write.quality, inputPath: job.input, icc: write.icc });
    return result;
  }
  if (await sameFile(job.output, job.input)) {
    throw new WgsrError('IO', `${job.output}: refusing to write over the input image; choose another output name`);
  }
  const writer = new PngRowWriter(job.output, { icc: write.icc });
  try {
    const size = await up.upscaleRows(image, writer, call);
    if (call.signal?.aborted) throw new WgsrError('ABORTED', 'cancelled');
    await writer.finish();
    return size;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
