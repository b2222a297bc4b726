import type { TileNetwork } from '../../src/image/types.js';

/**
 * CPU stand-ins for a super-resolution network, small enough to reason about exactly. Each
 * records the size of every tile it was given, so tests can check the tiling the pipeline did.
 */
export interface RecordingNetwork extends TileNetwork {
  calls: { height: number; width: number; tile: Float32Array }[];
}

interface Shape {
  scale: number;
  channels?: number;
  sizeMultiple?: number;
  maxTileSide?: number;
  tileAlignment?: number;
  inputRange?: number;
  outputToUnit?: (y: number) => number;
}

function recording(shape: Shape, run: (tile: Float32Array, h: number, w: number, c: number) => Float32Array): RecordingNetwork {
  const channels = shape.channels ?? 3;
  const net: RecordingNetwork = {
    scale: shape.scale,
    inChannels: channels,
    outChannels: channels,
    inputRange: shape.inputRange ?? 1,
    outputToUnit: shape.outputToUnit,
    sizeMultiple: shape.sizeMultiple ?? 1,
    calls: [],
    maxTileSide: () => shape.maxTileSide ?? 4096,
    tileAlignment: shape.tileAlignment,
    forward: async (tile, height, width) => {
      net.calls.push({ height, width, tile });
      return run(tile, height, width, channels);
    },
  };
  return net;
}

/** Nearest-neighbour ×s, channel c multiplied by gains[c] (default 1): a receptive field of one pixel. */
export function nearestNetwork(shape: Shape & { gains?: number[] }): RecordingNetwork {
  const s = shape.scale;
  return recording(shape, (tile, h, w, channels) => {
    const out = new Float32Array(channels * h * s * w * s);
    for (let c = 0; c < channels; c++) {
      const gain = shape.gains?.[c] ?? 1;
      for (let Y = 0; Y < h * s; Y++) {
        for (let X = 0; X < w * s; X++) {
          out[(c * h * s + Y) * w * s + X] = tile[(c * h + Math.floor(Y / s)) * w + Math.floor(X / s)]! * gain;
        }
      }
    }
    return out;
  });
}

/**
 * A 3×3 box blur with zero padding, then nearest ×s: a receptive field of radius 1, so tiles
 * padded by ≥ 1 pixel give exactly the untiled result and tiles padded by 0 do not.
 */
export function blurNetwork(shape: Shape): RecordingNetwork {
  const s = shape.scale;
  return recording(shape, (tile, h, w, channels) => {
    const blurred = new Float32Array(channels * h * w);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sum = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy;
              const xx = x + dx;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w) sum += tile[(c * h + yy) * w + xx]!;
            }
          }
          blurred[(c * h + y) * w + x] = sum / 9;
        }
      }
    }
    const out = new Float32Array(channels * h * s * w * s);
    for (let c = 0; c < channels; c++) {
      for (let Y = 0; Y < h * s; Y++) {
        for (let X = 0; X < w * s; X++) out[(c * h * s + Y) * w * s + X] = blurred[(c * h + Math.floor(Y / s)) * w + Math.floor(X / s)]!;
      }
    }
    return out;
  });
}
