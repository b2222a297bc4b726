/**
 * The tile grid of RealESRGANer.tile_process: tiles of `tile` pixels (the last row/column
 * shorter), each run through the network grown by `tilePad` on every side (clipped to the
 * image); from the network output only the tile's own region is kept and placed at tile·scale.
 * Tiles are independent, no blending.
 */

/** A rectangle [x0, x1) × [y0, y1). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Tile {
  row: number;
  col: number;
  /** The tile's own input pixels. */
  tile: Box;
  /** The input region the network runs on: `tile` grown by tilePad, clipped to the image. */
  padded: Box;
  /** The part of the network's output for `padded` that is kept. */
  crop: Box;
  /** Where `crop` goes in the (scaled) output. */
  output: Box;
}

/**
 * The grid for a `width`×`height` input. `multiple` (the network's size multiple, and a divisor
 * of width and height after mod padding) widens a padded region outward to multiples of it:
 * with an odd tilePad Real-ESRGAN would hand a ×2 network an odd-sized tile and crash; with
 * multiple 1 (or even tiles and pads) the grid is exactly Real-ESRGAN's.
 */
export function tileGrid(
  width: number,
  height: number,
  tile: number,
  tilePad: number,
  scale: number,
  multiple = 1,
  kept: { width: number; height: number } = { width, height },
): Tile[] {
  const columns = axisSpans(width, tile, tilePad, multiple).filter((span) => span.start < kept.width);
  const rows = axisSpans(height, tile, tilePad, multiple).filter((span) => span.start < kept.height);
  const tiles: Tile[] = [];
  rows.forEach((y, row) => {
    columns.forEach((x, col) => {
      const cx = (x.start - x.paddedStart) * scale;
      const cy = (y.start - y.paddedStart) * scale;
      tiles.push({
        row,
        col,
        tile: { x0: x.start, y0: y.start, x1: x.end, y1: y.end },
        padded: { x0: x.paddedStart, y0: y.paddedStart, x1: x.paddedEnd, y1: y.paddedEnd },
        crop: { x0: cx, y0: cy, x1: cx + (x.end - x.start) * scale, y1: cy + (y.end - y.start) * scale },
        output: { x0: x.start * scale, y0: y.start * scale, x1: x.end * scale, y1: y.end * scale },
      });
    });
  });
  return tiles;
}

/** One axis of a tile grid: a tile's own span [start, end) and the padded span the network runs on. */
export interface AxisSpan {
  start: number;
  end: number;
  paddedStart: number;
  paddedEnd: number;
}

/** The grid's spans along an axis of `length` pixels (the grid is the product of its two axes). */
export function axisSpans(length: number, tile: number, tilePad: number, multiple = 1): AxisSpan[] {
  const down = (v: number) => v - (v % multiple);
  const up = (v: number) => Math.min(length, Math.ceil(v / multiple) * multiple);
  const spans: AxisSpan[] = [];
  for (let start = 0; start < length; start += tile) {
    const end = Math.min(start + tile, length);
    spans.push({ start, end, paddedStart: down(Math.max(start - tilePad, 0)), paddedEnd: up(Math.min(end + tilePad, length)) });
  }
  return spans;
}
