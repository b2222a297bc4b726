import { crc32, deflateSync } from 'node:zlib';

/**
 * Builds PNG files byte by byte, independently of pngjs, so tests can feed the decoder every
 * layout (bit depths 1–16, palette, tRNS, Adam7) and hostile headers with valid CRCs.
 */
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function ihdr(width: number, height: number, bitDepth: number, colorType: number, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([bitDepth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', data);
}

export const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

export interface CraftOptions {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** PLTE entries [r, g, b]. */
  palette?: number[][];
  /** tRNS chunk contents. */
  trns?: Uint8Array;
  /** The raw samples of pixel (x, y): palette index, gray, gray+alpha, RGB or RGBA. */
  pixel: (x: number, y: number) => number[];
}

const SAMPLES = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 8, 0, 8], [4, 8, 0, 8], [0, 4, 4, 8], [2, 4, 0, 4], [0, 2, 2, 4], [1, 2, 0, 2], [0, 1, 1, 2]] as const;

/** Rows of the pixels at xs × ys, each with filter byte 0 and samples packed MSB first. */
function packRows(o: CraftOptions, xs: number[], ys: number[]): Uint8Array[] {
  const bits = SAMPLES[o.colorType] * o.bitDepth;
  return ys.map((y) => {
    const row = new Uint8Array(1 + Math.ceil((xs.length * bits) / 8));
    let bit = 8;
    for (const x of xs) {
      for (const v of o.pixel(x, y)) {
        if (o.bitDepth === 16) {
          row[bit >> 3] = v >> 8;
          row[(bit >> 3) + 1] = v & 255;
        } else {
          row[bit >> 3]! |= v << (8 - o.bitDepth - (bit & 7));
        }
        bit += o.bitDepth;
      }
    }
    return row;
  });
}

export function craftPng(o: CraftOptions): Uint8Array {
  const range = (from: number, to: number, step: number) => {
    const out: number[] = [];
    for (let i = from; i < to; i += step) out.push(i);
    return out;
  };
  const rows = o.interlace
    ? ADAM7.flatMap(([x0, dx, y0, dy]) => {
        const xs = range(x0, o.width, dx);
        const ys = range(y0, o.height, dy);
        return xs.length && ys.length ? packRows(o, xs, ys) : [];
      })
    : packRows(o, range(0, o.width, 1), range(0, o.height, 1));
  const parts = [SIGNATURE, ihdr(o.width, o.height, o.bitDepth, o.colorType, o.interlace ? 1 : 0)];
  if (o.palette) parts.push(chunk('PLTE', new Uint8Array(o.palette.flat())));
  if (o.trns) parts.push(chunk('tRNS', o.trns));
  parts.push(chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', new Uint8Array(0)));
  return concat(...parts);
}
