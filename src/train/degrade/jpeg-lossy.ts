import { WgsrError } from '../../errors.js';

/**
 * A JPEG encode followed by a decode, without the entropy coding between them (which is
 * lossless, so it changes no pixel): the lossy steps of a baseline JPEG as libjpeg (and so
 * OpenCV, whose cv2.imencode Real-ESRGAN's numpy degradations call) performs them.
 *   1. RGB → YCbCr (JFIF), libjpeg's 16-bit fixed point (jccolor.c).
 *   2. 4:2:0: Cb and Cr averaged over 2 × 2 pixels, rounding bias alternating 1, 2 (jcsample.c);
 *      planes padded to whole blocks by repeating the last column and row.
 *   3. Per 8 × 8 block: level shift by 128, DCT, quantisation by the IJG tables at `quality`
 *      (jcparam.c: scale 5000/q below 50, 200 − 2q from 50; entries clamped to 1…255), rounded
 *      half away from zero; then dequantisation and inverse DCT, rounded and clamped to 0…255.
 *   4. Chroma back to full size with libjpeg's "fancy" triangle filter (jdsample.c, h2v2).
 *   5. YCbCr → RGB, libjpeg's fixed point (jdcolor.c), clamped.
 * The DCTs are exact (float64) where libjpeg's default islow ones are 13-bit integer
 * approximations: outputs agree with libjpeg to a level or two (see the tests), at a fraction of
 * a real codec's cost, with no Node dependency and the same bytes in every JavaScript engine.
 */
export type ChromaSubsampling = '4:2:0' | '4:4:4';

const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55,
  64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** IJG's quality scaling of a base table (jpeg_quality_scaling + jpeg_add_quant_table, baseline). */
export function quantTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Float64Array.from(base, (b) => Math.min(255, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

/** cos((2x + 1)uπ/16)·C(u)/2, the 1-D DCT-II basis with JPEG's normalisation: COS[u·8 + x]. */
const COS = new Float64Array(64);
for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) COS[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);

/** Quantises and dequantises one 8 × 8 block of `plane` (stride `w`) at (bx, by), in place. */
function codeBlock(plane: Float64Array, w: number, bx: number, by: number, table: Float64Array, tmp: Float64Array, coef: Float64Array): void {
  const at = by * 8 * w + bx * 8;
  // Rows: tmp[y·8 + u] = Σx COS[u·8 + x]·(p − 128); then columns into coef[v·8 + u].
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += COS[u * 8 + x]! * (plane[at + y * w + x]! - 128);
      tmp[y * 8 + u] = s;
    }
  }
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += COS[v * 8 + y]! * tmp[y * 8 + u]!;
      const q = table[v * 8 + u]!;
      const level = s / q;
      coef[v * 8 + u] = (level < 0 ? -Math.floor(-level + 0.5) : Math.floor(level + 0.5)) * q;
    }
  }
  // Inverse: columns back into tmp[y·8 + u], then rows into the plane.
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += COS[v * 8 + y]! * coef[v * 8 + u]!;
      tmp[y * 8 + u] = s;
    }
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let s = 128;
      for (let u = 0; u < 8; u++) s += COS[u * 8 + x]! * tmp[y * 8 + u]!;
      const r = Math.round(s);
      plane[at + y * w + x] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  }
}

/** Codes every block of a plane whose sides are multiples of 8. */
function codePlane(plane: Float64Array, w: number, h: number, table: Float64Array): void {
  const tmp = new Float64Array(64);
  const coef = new Float64Array(64);
  for (let by = 0; by < h / 8; by++) for (let bx = 0; bx < w / 8; bx++) codeBlock(plane, w, bx, by, table, tmp, coef);
}

const FIX = (x: number) => Math.round(x * 65536);
const ONE_HALF = 1 << 15;
const CBCR_OFFSET = 128 << 16;

/** Y, Cb, Cr planes of `pw` × `ph` (the image's last column and row repeated into the padding). */
function toYcc(rgb: Uint8Array, w: number, h: number, pw: number, ph: number): [Float64Array, Float64Array, Float64Array] {
  const planes: [Float64Array, Float64Array, Float64Array] = [new Float64Array(pw * ph), new Float64Array(pw * ph), new Float64Array(pw * ph)];
  const [Y, Cb, Cr] = planes;
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const p = (Math.min(y, h - 1) * w + Math.min(x, w - 1)) * 3;
      const r = rgb[p]!;
      const g = rgb[p + 1]!;
      const b = rgb[p + 2]!;
      const i = y * pw + x;
      Y[i] = (FIX(0.299) * r + FIX(0.587) * g + FIX(0.114) * b + ONE_HALF) >> 16;
      Cb[i] = (-FIX(0.16874) * r - FIX(0.33126) * g + FIX(0.5) * b + CBCR_OFFSET + ONE_HALF - 1) >> 16;
      Cr[i] = (FIX(0.5) * r - FIX(0.41869) * g - FIX(0.08131) * b + CBCR_OFFSET + ONE_HALF - 1) >> 16;
    }
  }
  return planes;
}

/** 2 × 2 averages with libjpeg's alternating rounding bias (1, 2, 1, …) along each row. */
function downsample(plane: Float64Array, pw: number, ph: number): Float64Array {
  const cw = pw / 2;
  const out = new Float64Array(cw * (ph / 2));
  for (let y = 0; y < ph / 2; y++) {
    let bias = 1;
    for (let x = 0; x < cw; x++) {
      const a = 2 * y * pw + 2 * x;
      out[y * cw + x] = (plane[a]! + plane[a + 1]! + plane[a + pw]! + plane[a + pw + 1]! + bias) >> 2;
      bias ^= 3;
    }
  }
  return out;
}

/**
 * libjpeg's h2v2 fancy upsampling of the cw × ch chroma plane (stride `stride`) to w × h: each
 * output is 9/16 of its nearest input, 3/16 of the next two and 1/16 of the diagonal one, edge
 * samples repeated, rounding constants 8 and 7 alternating as libjpeg's.
 */
function upsample(plane: Float64Array, stride: number, cw: number, ch: number, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  const at = (x: number, y: number) => plane[Math.min(Math.max(y, 0), ch - 1) * stride + Math.min(Math.max(x, 0), cw - 1)]!;
  for (let y = 0; y < h; y++) {
    const row = y >> 1;
    const other = y & 1 ? row + 1 : row - 1;
    const colsum = (x: number) => 3 * at(x, row) + at(x, other);
    for (let x = 0; x < w; x++) {
      const col = x >> 1;
      out[y * w + x] = x & 1 ? (3 * colsum(col) + colsum(Math.min(col + 1, cw - 1)) + 7) >> 4 : (3 * colsum(col) + colsum(Math.max(col - 1, 0)) + 8) >> 4;
    }
  }
  return out;
}

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** YCbCr → RGB as jdcolor.c, into `rgb` (w × h × 3). */
function toRgb(Y: Float64Array, yStride: number, Cb: Float64Array, Cr: Float64Array, cStride: number, w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = Y[y * yStride + x]!;
      const cb = Cb[y * cStride + x]! - 128;
      const cr = Cr[y * cStride + x]! - 128;
      const p = (y * w + x) * 3;
      rgb[p] = clamp8(l + ((FIX(1.402) * cr + ONE_HALF) >> 16));
      rgb[p + 1] = clamp8(l + ((-FIX(0.34414) * cb - FIX(0.71414) * cr + ONE_HALF) >> 16));
      rgb[p + 2] = clamp8(l + ((FIX(1.772) * cb + ONE_HALF) >> 16));
    }
  }
  return rgb;
}

/** The decoded pixels of a baseline JPEG of `rgb` (w × h × 3, 8-bit) at `quality` (1…100). */
export function jpegLossyRoundTrip(rgb: Uint8Array, w: number, h: number, quality: number, subsampling: ChromaSubsampling = '4:2:0'): Uint8Array {
  if (rgb.length !== w * h * 3 || w < 1 || h < 1) throw new WgsrError('BAD_ARGUMENT', `JPEG round trip: ${rgb.length} bytes is not a ${w}×${h} RGB image`);
  const mcu = subsampling === '4:2:0' ? 16 : 8;
  const pw = Math.ceil(w / mcu) * mcu;
  const ph = Math.ceil(h / mcu) * mcu;
  const [Y, Cb, Cr] = toYcc(rgb, w, h, pw, ph);
  const luma = quantTable(LUMA_TABLE, quality);
  const chroma = quantTable(CHROMA_TABLE, quality);
  codePlane(Y, pw, ph, luma);
  if (subsampling === '4:4:4') {
    codePlane(Cb, pw, ph, chroma);
    codePlane(Cr, pw, ph, chroma);
    return toRgb(Y, pw, Cb, Cr, pw, w, h);
  }
  const [cb, cr] = [downsample(Cb, pw, ph), downsample(Cr, pw, ph)];
  codePlane(cb, pw / 2, ph / 2, chroma);
  codePlane(cr, pw / 2, ph / 2, chroma);
  // The decoder sees ⌈w/2⌉ × ⌈h/2⌉ chroma samples; the padding beyond them is not upsampled from.
  const [cw, ch] = [Math.ceil(w / 2), Math.ceil(h / 2)];
  return toRgb(Y, pw, upsample(cb, pw / 2, cw, ch, w, h), upsample(cr, pw / 2, cw, ch, w, h), w, w, h);
}

/** The JpegCodec the core uses unless told otherwise: libjpeg's 4:2:0 encode → decode. */
export function jpegLossyCodec(rgb: Uint8Array, w: number, h: number, quality: number): Uint8Array {
  return jpegLossyRoundTrip(rgb, w, h, quality, '4:2:0');
}
