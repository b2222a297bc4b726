// Reading what the page downloads: the file's bytes, its header (PNG colour type, WebP alpha),
// and its pixels (decoded by wgsr/node, which reads PNG, JPEG and WebP).
import { readFileSync } from 'node:fs';

export const STEP_TIMEOUT_MS = 30_000;

/** Clicks `selector` and returns the download it starts: { name, bytes }. */
export async function downloadFrom(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS }), page.click(selector, { timeout: STEP_TIMEOUT_MS })]);
  return { name: download.suggestedFilename(), bytes: new Uint8Array(readFileSync(await download.path())) };
}

const ascii = (bytes, from, to) => String.fromCharCode(...bytes.subarray(from, to));

/** A file's format from its magic bytes, and whether it stores an alpha channel. */
export function describeFile(bytes) {
  if (bytes[0] === 0x89 && ascii(bytes, 1, 4) === 'PNG') {
    // IHDR's colour type: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA.
    const colorType = bytes[25];
    return { format: 'png', alpha: colorType === 4 || colorType === 6, detail: `colour type ${colorType}` };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', alpha: false, detail: 'JFIF' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    const chunk = ascii(bytes, 12, 16);
    // VP8X: flags byte, alpha is bit 4. VP8L: bit 28 of the header after its 0x2f signature. VP8: never.
    const alpha = chunk === 'VP8X' ? (bytes[20] & 0x10) !== 0 : chunk === 'VP8L' ? (bytes[24] & 0x10) !== 0 : false;
    return { format: 'webp', alpha, detail: `${chunk.trim()} chunk` };
  }
  return { format: 'unknown', alpha: false, detail: `starts with ${[...bytes.subarray(0, 8)].join(' ')}` };
}

/**
 * The largest and the mean absolute difference of two 8-bit images' RGB (RGBA compared as RGB),
 * over every pixel, or with `opaqueIn` over the pixels that image (a or b) has fully opaque.
 */
export function rgbDifference(a, b, opaqueIn) {
  if (a.width !== b.width || a.height !== b.height) return { max: Infinity, mean: Infinity, pixels: 0 };
  let max = 0;
  let sum = 0;
  let counted = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    if (opaqueIn && opaqueIn.channels === 4 && opaqueIn.data[p * 4 + 3] !== 255) continue;
    counted++;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[p * a.channels + Math.min(c, a.channels - 1)] - b.data[p * b.channels + Math.min(c, b.channels - 1)]);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (counted * 3), pixels: counted };
}

/** The page's result as shown on its "after" canvas (RGBA), as a wgsr Image. */
export async function shownResult(page) {
  const { width, height, base64 } = await page.evaluate(() => {
    const canvas = document.getElementById('after');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let text = '';
    for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, base64: btoa(text) };
  });
  return { width, height, channels: 4, bitDepth: 8, data: new Uint8Array(Buffer.from(base64, 'base64')) };
}
