import { WgsrError } from '../../errors.js';
import { roundHalfEven } from '../../image/quantize.js';
import { planar, type Planar } from '../data/planar.js';

/**
 * JPEG compression for the degradations, through a codec the caller supplies: the core has no
 * JPEG encoder of its own, and need not (Node passes jpeg-js, see src/io/jpeg-roundtrip.ts; a
 * page can pass one built on OffscreenCanvas.convertToBlob('image/jpeg', q)).
 *
 * A codec takes 8-bit RGB pixels (HWC, width·height·3 bytes) and a whole quality 1…100 and
 * returns the decoded pixels of the JPEG it made, same size and layout.
 */
export type JpegCodec = (rgb: Uint8Array, width: number, height: number, quality: number) => Uint8Array | Promise<Uint8Array>;

/**
 * Real-ESRGAN's JPEG step: the image clamped to [0, 1], quantised to 8 bits, encoded at quality
 * `quality` (drawn as a real number in [30, 95); rounded to a whole quality here, as a codec
 * takes), decoded, and back to [0, 1].
 */
export async function compressJpeg(image: Planar, quality: number, codec: JpegCodec): Promise<Planar> {
  const { channels, height: h, width: w } = image;
  if (channels !== 3) throw new WgsrError('BAD_ARGUMENT', `JPEG compression works on RGB images; this one has ${channels} channels`);
  const size = h * w;
  const rgb = new Uint8Array(size * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < size; i++) {
      const v = roundHalfEven(Math.fround(image.data[c * size + i]! * 255));
      rgb[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const decoded = await codec(rgb, w, h, q);
  if (decoded.length !== rgb.length) {
    throw new WgsrError('BAD_ARGUMENT', `the JPEG codec returned ${decoded.length} bytes for a ${w}×${h} RGB image (${rgb.length} expected)`);
  }
  const out = planar(3, h, w);
  for (let c = 0; c < 3; c++) for (let i = 0; i < size; i++) out.data[c * size + i] = decoded[i * 3 + c]! / 255;
  return out;
}
