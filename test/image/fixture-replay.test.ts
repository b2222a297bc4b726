import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upscaleImage } from '../../src/image/upscale.js';
import type { TileNetwork } from '../../src/image/types.js';
import { decodeImage } from '../../src/io/decode.js';
import { readNpy } from '../helpers/npy.js';

/**
 * The PyTorch pipeline fixtures hold Real-ESRGAN's float output (clamped, before ·255 and
 * rounding) and the PNG it became. A network that replays those floats lets us check every
 * step around the network against real Real-ESRGAN output: which input pixels each tile gets,
 * where each crop lands, and ·255 + rounding (the fixtures have ~1800 values within 0.01 of a
 * rounding boundary, so rounding in the wrong place shows; exact float32 ties are too rare in
 * them to tell round-half-even from round-half-up: quantize.test.ts covers that).
 */
const root = new URL('../fixtures/pipeline/', import.meta.url);
const load = (name: string) => {
  const dir = new URL(`${name}/`, root);
  const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8')) as {
    scale: number;
    tile: number;
    tile_pad: number;
    tiles?: { padded_input_box_xyxy: [number, number, number, number] }[];
  };
  const input = decodeImage(readFileSync(new URL('input.png', dir)), 'input.png');
  const expected = decodeImage(readFileSync(new URL('expected.png', dir)), 'expected.png');
  const float = readNpy(new URL('expected_float.npy', dir).pathname); // HWC
  return { meta, input, expected, float };
};

/** Replays the fixture's output for the padded box of each call; records mismatching inputs. */
function replayNetwork(
  fx: ReturnType<typeof load>,
  boxes: [number, number, number, number][],
): TileNetwork & { inputErrors: number; calls: number } {
  const s = fx.meta.scale;
  const outW = fx.input.width * s;
  const net = {
    scale: s,
    inChannels: 3,
    outChannels: 3,
    inputRange: 1,
    sizeMultiple: 1,
    inputErrors: 0,
    calls: 0,
    maxTileSide: () => 1024,
    forward: async (tile: Float32Array, h: number, w: number) => {
      const [x0, y0, x1, y1] = boxes[net.calls++]!;
      expect([w, h]).toEqual([x1 - x0, y1 - y0]);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const want = Math.fround(fx.input.data[((y0 + y) * fx.input.width + x0 + x) * 3 + c]! / 255);
            if (tile[(c * h + y) * w + x] !== want) net.inputErrors++;
          }
        }
      }
      const out = new Float32Array(3 * h * s * w * s);
      for (let c = 0; c < 3; c++) {
        for (let Y = 0; Y < h * s; Y++) {
          for (let X = 0; X < w * s; X++) out[(c * h * s + Y) * w * s + X] = fx.float.data[((y0 * s + Y) * outW + x0 * s + X) * 3 + c]!;
        }
      }
      return out;
    },
  };
  return net;
}

describe('upscaleImage around a network replaying Real-ESRGAN fixtures', () => {
  it('whole image (tile 0): the same uint8 PNG as Real-ESRGAN, exactly', async () => {
    const fx = load('realesrgan_x4_tiny_0014_crop_whole');
    const net = replayNetwork(fx, [[0, 0, fx.input.width, fx.input.height]]);
    const out = await upscaleImage(net, fx.input, { tilePad: fx.meta.tile_pad });
    expect(net.calls).toBe(1);
    expect(net.inputErrors).toBe(0);
    expect([out.width, out.height, out.channels, out.bitDepth]).toEqual([192, 160, 3, 8]);
    // Tolerance: none; every byte must match.
    expect(Buffer.from(out.data).equals(Buffer.from(fx.expected.data))).toBe(true);
  });

  it('tile 16 / pad 4: tiles get the fixture padded boxes and the crops rebuild the uint8 PNG exactly', async () => {
    const fx = load('realesrgan_x4_tiny_0014_crop_tile16_pad4');
    const boxes = fx.meta.tiles!.map((t) => t.padded_input_box_xyxy);
    const net = replayNetwork(fx, boxes);
    const out = await upscaleImage(net, fx.input, { tile: fx.meta.tile, tilePad: fx.meta.tile_pad });
    expect(net.calls).toBe(boxes.length);
    expect(net.inputErrors).toBe(0);
    expect(Buffer.from(out.data).equals(Buffer.from(fx.expected.data))).toBe(true);
  });
});
