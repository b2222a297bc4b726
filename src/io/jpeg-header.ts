import { WgsrError } from '../errors.js';

/** The frame header (SOFn) of a JPEG, read without decoding. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** SOF2: progressive (scans refine coefficients); otherwise sequential (one pass per block). */
  progressive: boolean;
  /** Horizontal and vertical sampling factor of each component, in frame order. */
  sampling: { h: number; v: number }[];
  /** Offset just past the frame header: scans follow. */
  end: number;
}

/** SOF markers jpeg-js cannot decode, with what they are. */
const UNSUPPORTED_SOF: Record<number, string> = {
  0xc3: 'lossless',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical progressive',
  0xc7: 'hierarchical lossless',
  0xc9: 'arithmetic-coded',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded hierarchical',
  0xce: 'arithmetic-coded hierarchical progressive',
  0xcf: 'arithmetic-coded hierarchical lossless',
};

/**
 * Walks the marker segments to the frame header and checks it is something jpeg-js decodes
 * correctly: baseline/extended/progressive Huffman, 8-bit, 1 (gray) or 3 (YCbCr/RGB) components.
 * `onSize` runs as soon as the size is known, so an absurd size is refused before decoding.
 */
export function readJpegHeader(bytes: Uint8Array, name: string, onSize: (width: number, height: number) => void): JpegHeader {
  const bad = (what: string) => new WgsrError('BAD_IMAGE', `${name}: ${what}`);
  const truncated = () => bad(`truncated JPEG: the file ends at byte ${bytes.length} before its frame header`);
  const u16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  let at = 2; // after SOI
  for (;;) {
    if (at + 4 > bytes.length) throw truncated();
    if (bytes[at] !== 0xff) throw bad(`corrupt JPEG: expected a marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw bad('corrupt JPEG: no frame header (SOF) before the image data');
    const length = u16(at + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (!isSof) {
      at += 2 + length;
      continue;
    }
    if (at + 10 > bytes.length) throw truncated();
    const precision = bytes[at + 4]!;
    const height = u16(at + 5);
    const width = u16(at + 7);
    const components = bytes[at + 9]!;
    if (UNSUPPORTED_SOF[marker]) {
      throw bad(`${UNSUPPORTED_SOF[marker]} JPEG is not supported; re-save it as a baseline or progressive JPEG, or as PNG`);
    }
    if (height === 0) throw bad('JPEG whose height is given after the image data (DNL marker) is not supported; re-save it');
    onSize(width, height);
    if (precision !== 8) throw bad(`${precision}-bit JPEG is not supported (only 8-bit); convert it to a 16-bit PNG`);
    if (components === 4) {
      throw bad('CMYK JPEG is not supported (its colors need the print profile to convert correctly); convert it to RGB first');
    }
    if (components !== 1 && components !== 3) throw bad(`JPEG with ${components} color components is not supported (only gray or color)`);
    if (length < 8 + 3 * components || at + 2 + length > bytes.length) throw bad(`corrupt JPEG: the frame header at byte ${at} is too short for its ${components} components`);
    const sampling: { h: number; v: number }[] = [];
    for (let c = 0; c < components; c++) {
      const hv = bytes[at + 11 + 3 * c]!;
      const h = hv >> 4;
      const v = hv & 15;
      if (h < 1 || h > 4 || v < 1 || v > 4) throw bad(`corrupt JPEG: component ${c + 1} has sampling factors ${h}×${v} (JPEG allows 1 to 4)`);
      sampling.push({ h, v });
    }
    return { width, height, components, precision, progressive: marker === 0xc2, sampling, end: at + 2 + length };
  }
}
