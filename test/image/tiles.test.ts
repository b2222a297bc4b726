import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tileGrid, type Box } from '../../src/image/tiles.js';

const fixture = new URL('../fixtures/pipeline/realesrgan_x4_tiny_0014_crop_tile16_pad4/meta.json', import.meta.url);
const meta = JSON.parse(readFileSync(fixture, 'utf8')) as {
  tile: number;
  tile_pad: number;
  scale: number;
  input_png: { width: number; height: number };
  tiles: {
    tile_yx: [number, number];
    tile_box_xyxy: number[];
    padded_input_box_xyxy: number[];
    crop_in_tile_output_xyxy: number[];
    output_box_xyxy: number[];
  }[];
};
const xyxy = (b: Box) => [b.x0, b.y0, b.x1, b.y1];

describe('tileGrid', () => {
  it("equals the fixture's Real-ESRGAN tile list (48×40, tile 16, pad 4, ×4), box for box", () => {
    const grid = tileGrid(meta.input_png.width, meta.input_png.height, meta.tile, meta.tile_pad, meta.scale);
    expect(
      grid.map((t) => ({
        tile_yx: [t.row, t.col],
        tile_box_xyxy: xyxy(t.tile),
        padded_input_box_xyxy: xyxy(t.padded),
        crop_in_tile_output_xyxy: xyxy(t.crop),
        output_box_xyxy: xyxy(t.output),
      })),
    ).toEqual(meta.tiles);
  });

  it('covers every output pixel exactly once, for odd sizes and tiles larger than the image', () => {
    for (const [w, h, tile, pad, s] of [[37, 23, 8, 3, 2], [5, 9, 16, 10, 4], [64, 64, 32, 0, 1], [17, 1, 4, 2, 3]] as const) {
      const hits = new Uint8Array(w * s * h * s);
      for (const t of tileGrid(w, h, tile, pad, s)) {
        // The crop has the output box's size and lies inside the padded tile's output.
        expect(t.crop.x1 - t.crop.x0).toBe(t.output.x1 - t.output.x0);
        expect(t.crop.y1 - t.crop.y0).toBe(t.output.y1 - t.output.y0);
        expect(t.crop.x1).toBeLessThanOrEqual((t.padded.x1 - t.padded.x0) * s);
        expect(t.crop.y1).toBeLessThanOrEqual((t.padded.y1 - t.padded.y0) * s);
        for (let y = t.output.y0; y < t.output.y1; y++) for (let x = t.output.x0; x < t.output.x1; x++) hits[y * w * s + x]!++;
      }
      expect(hits.every((n) => n === 1)).toBe(true);
    }
  });

  it("widens padded regions to the network's size multiple (odd tilePad, ×2 network) and no further", () => {
    const grid = tileGrid(40, 30, 10, 3, 2, 2);
    for (const t of grid) {
      for (const v of xyxy(t.padded)) expect(v % 2).toBe(0);
      expect(t.padded.x0).toBeGreaterThanOrEqual(Math.max(t.tile.x0 - 4, 0));
      expect(t.padded.x1).toBeLessThanOrEqual(Math.min(t.tile.x1 + 4, 40));
      expect(t.padded.x0).toBeLessThanOrEqual(Math.max(t.tile.x0 - 3, 0));
      expect(t.padded.x1).toBeGreaterThanOrEqual(Math.min(t.tile.x1 + 3, 40));
    }
    // With multiple 1 the same grid keeps Real-ESRGAN's odd edges.
    expect(tileGrid(40, 30, 10, 3, 2, 1)[0]!.padded).toEqual({ x0: 0, y0: 0, x1: 13, y1: 13 });
    expect(grid[0]!.padded).toEqual({ x0: 0, y0: 0, x1: 14, y1: 14 });
  });
});
