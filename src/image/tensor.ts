import type { Image } from './types.js';
import type { Box, Tile } from './tiles.js';
import type { Sink } from './passes.js';
import { clampUnit, grayFromRgb, sampleToNetwork, unitToSample } from './quantize.js';
import { maxValue } from './validate.js';

/**
 * Moving pixels between the integer image and the network's float tiles. The image side is
 * HWC interleaved integers, the network side [C, H, W] float32. Only one tile's floats exist
 * at a time: the output is written straight back as integers (no whole-image float buffer).
 */

/** Every sample value's network input (256 or 65536 entries): exact and cheap per pixel. */
export function networkInputTable(bitDepth: 8 | 16, inputRange: number): Float32Array {
  const max = maxValue(bitDepth);
  const table = new Float32Array(max + 1);
  for (let v = 0; v <= max; v++) table[v] = sampleToNetwork(v, max, inputRange);
  return table;
}

/**
 * The network input for `box` of the padded image: channel k is image channel `sources[k]`;
 * `xMap`/`yMap` send padded coordinates to source ones (see pad.ts).
 */
export function gatherTile(
  image: Image,
  sources: readonly number[],
  xMap: Int32Array,
  yMap: Int32Array,
  box: Box,
  table: Float32Array,
): Float32Array {
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const { channels, data } = image;
  const rowStride = image.width * channels;
  const column = new Int32Array(w);
  for (let x = 0; x < w; x++) column[x] = xMap[box.x0 + x]! * channels;
  const out = new Float32Array(sources.length * w * h);
  for (let k = 0; k < sources.length; k++) {
    const plane = k * w * h;
    for (let y = 0; y < h; y++) {
      const row = yMap[box.y0 + y]! * rowStride + sources[k]!;
      const o = plane + y * w;
      for (let x = 0; x < w; x++) out[o + x] = table[data[row + column[x]!]!]!;
    }
  }
  return out;
}

/** Maps a raw network output to [0, 1] before clamping; null = identity. */
export type OutputMap = ((y: number) => number) | null;

/**
 * Where output rows are written: an image `height` rows high of which `data` holds the rows from
 * `origin` on (all of them when the output is held whole, a band of rows when it is streamed;
 * see rows.ts). Row Y is at `(Y - origin) · width · channels`.
 */
export interface OutputRows extends Image {
  origin: number;
}

/**
 * Writes the kept part of one tile's network output into `out`: `output` [C, ph·s, pw·s] is the
 * network's result for `tile.padded`. Output pixels at or beyond out.width/out.height belong to the
 * pre-pad and mod-pad margins (Real-ESRGAN's post_process crops them) and are dropped.
 */
export function scatterTile(
  out: OutputRows,
  output: Float32Array,
  tile: Tile,
  scale: number,
  sink: Sink,
  toUnit: OutputMap,
): void {
  const tileW = (tile.padded.x1 - tile.padded.x0) * scale;
  const plane = tileW * (tile.padded.y1 - tile.padded.y0) * scale;
  const x0 = tile.output.x0;
  const x1 = Math.min(tile.output.x1, out.width);
  const y1 = Math.min(tile.output.y1, out.height);
  const { channels, data } = out;
  const max = maxValue(out.bitDepth);
  // Hot loop (every output pixel): plain loops per channel, the sink decided once per tile.
  const unit = toUnit ? (v: number) => clampUnit(Math.fround(toUnit(v))) : clampUnit;
  for (let Y = tile.output.y0; Y < y1; Y++) {
    const src = (tile.crop.y0 + Y - tile.output.y0) * tileW + tile.crop.x0 - x0;
    const dst = (Y - out.origin) * out.width * channels;
    if (sink.kind === 'gray') {
      for (let X = x0, i = src + x0; X < x1; X++, i++) {
        const gray = grayFromRgb(unit(output[i]!), unit(output[plane + i]!), unit(output[2 * plane + i]!));
        data[dst + X * channels + sink.channel] = unitToSample(gray, max);
      }
      continue;
    }
    for (let k = 0; k < sink.channels.length; k++) {
      const o = dst + sink.channels[k]!;
      for (let X = x0, i = k * plane + src + x0; X < x1; X++, i++) data[o + X * channels] = unitToSample(unit(output[i]!), max);
    }
  }
}
