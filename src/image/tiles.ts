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
export function tileGrid(width: number, height: number, tile: number, tilePad: number, scale: number, multiple = 1): Tile[] {
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);
  const down = (v: number) => v - (v % multiple);
  const up = (v: number, limit: number) => Math.min(limit, Math.ceil(v / multiple) * multiple);
  const tiles: Tile[] = [];
  for (let row = 0; row < tilesY; row++) {
    for (let col = 0; col < tilesX; col++) {
      const x0 = col * tile;
      const y0 = row * tile;
      const x1 = Math.min(x0 + tile, width);
      const y1 = Math.min(y0 + tile, height);
      const padded = {
        x0: down(Math.max(x0 - tilePad, 0)),
        y0: down(Math.max(y0 - tilePad, 0)),
        x1: up(Math.min(x1 + tilePad, width), width),
        y1: up(Math.min(y1 + tilePad, height), height),
      };
      const cx = (x0 - padded.x0) * scale;
      const cy = (y0 - padded.y0) * scale;
      tiles.push({
        row,
        col,
        tile: { x0, y0, x1, y1 },
        padded,
        crop: { x0: cx, y0: cy, x1: cx + (x1 - x0) * scale, y1: cy + (y1 - y0) * scale },
        output: { x0: x0 * scale, y0: y0 * scale, x1: x1 * scale, y1: y1 * scale },
      });
    }
  }
  return tiles;
}
