import { axisSpans } from './tiles.js';
import type { TileNetwork } from './types.js';

/**
 * How large tiles are, decided here and nowhere else: the largest side that fits the memory
 * budget, the side an image is cut into when it does not fit whole, and the smaller side tried
 * after the GPU ran out of memory.
 */

/** Real-ESRGAN's CLI default. */
export const DEFAULT_TILE_PAD = 10;

/**
 * tileBlend: true blends over this fraction of the overlap neighbouring tiles share (2·tilePad),
 * a band as wide as the pad. Chosen by bench/tile-blend.mjs on real weights (README, "Seam-free
 * tiles"): against the whole-image output it gained PSNR in 7 of 8 tilings of x4plus and
 * realesr-general-x4v3 (+0.1 to +0.6 dB), where the full overlap (1) lost up to 1.8 dB on
 * general-x4v3's smallest tiles; on the bundled model (receptive field within the pad) every
 * band costs a little and the crop is exact to one level.
 */
export const DEFAULT_TILE_BLEND = 0.5;

/** The smallest tile side an out-of-memory retry tries. */
export const MIN_RETRY_TILE = 32;

/** A network's activation memory for a 1×1 input, in bytes: every planned buffer, and the largest one. */
export interface TileMemory {
  planned: number;
  largestBuffer: number;
}

/**
 * The most input pixels a tile (padded) may have: its planned buffers must fit the memory
 * budget and its largest buffer the adapter's per-binding limit. Both grow with the tile's
 * area, not its side: a 200×150 image needs what a 30,000-pixel tile needs, whatever its shape.
 */
export function maxTilePixels(perPixel: TileMemory, budget: number, bindingLimit: number): number {
  return Math.floor(Math.min(budget / perPixel.planned, bindingLimit / perPixel.largestBuffer));
}

/**
 * The largest side of a square tile whose padded tile fits maxTilePixels(), as a multiple of
 * the network's size multiple. Never below 16 pixels: a budget too small for that is
 * reported by the executor.
 */
export function maxTileSide(perPixel: TileMemory, budget: number, bindingLimit: number, tilePad: number, sizeMultiple: number): number {
  const padded = Math.floor(Math.sqrt(maxTilePixels(perPixel, budget, bindingLimit)));
  return Math.max(16, Math.floor((padded - 2 * tilePad) / sizeMultiple) * sizeMultiple);
}

/**
 * The whole (padded) image when it fits: its area within the network's maxTilePixels() (a
 * whole image has no tile pad, and need not be square), or, for a network that does not say,
 * its longer side within maxTileSide(). Otherwise, for a network that says how
 * it blocks its work (tileAlignment), the side from maxTileSide() down to half of it whose
 * tiles, padded, need the fewest blocks (the largest side among equals); else maxTileSide().
 * `image` is the size before pre-padding: tiles wholly in the margin are not run.
 */
export function automaticTileSide(net: TileNetwork, padded: { width: number; height: number }, image: { width: number; height: number }, tilePad: number): number {
  const side = Math.floor(net.maxTileSide());
  if (!(side >= 1)) throw new Error(`TileNetwork.maxTileSide() must be at least 1, got ${side}`);
  const whole = net.maxTilePixels ? padded.width * padded.height <= net.maxTilePixels() : Math.max(padded.width, padded.height) <= side;
  if (whole) return Math.max(padded.width, padded.height);
  const align = net.tileAlignment ?? 1;
  if (!(Number.isInteger(align) && align > 1)) return side;
  // The grid is the product of its axes, and so is its block count.
  const blocksAlong = (length: number, kept: number, s: number) =>
    axisSpans(length, s, tilePad, net.sizeMultiple)
      .filter((span) => span.start < kept)
      .reduce((sum, span) => sum + Math.ceil((span.paddedEnd - span.paddedStart) / align), 0);
  const blocks = (s: number) => blocksAlong(padded.width, image.width, s) * blocksAlong(padded.height, image.height, s);
  let best = { side, blocks: blocks(side) };
  for (let s = side - net.sizeMultiple; s >= Math.ceil(side / 2); s -= net.sizeMultiple) {
    const b = blocks(s);
    if (b < best.blocks) best = { side: s, blocks: b };
  }
  return best.side;
}

/**
 * The tile side to try after a tile of `failedSide` (padded) ran out of GPU memory: about half
 * of it, or undefined below MIN_RETRY_TILE.
 */
export function tileSideAfterOutOfMemory(failedSide: number, tilePad: number): number | undefined {
  const next = Math.floor(Math.max(failedSide - 2 * tilePad, failedSide / 2) / 2);
  return next < MIN_RETRY_TILE ? undefined : next;
}
