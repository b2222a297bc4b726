import { inflateSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageAsync } from '../../src/io/decode.js';
import { encodeImage, encodeImageAsync } from '../../src/io/encode.js';
import type { Image } from '../../src/image/types.js';
import { int, runFuzz, type Random, type Seed } from '../helpers/fuzz.js';
import { SIGNATURE, chunk, concat, craftPng, ihdr } from '../io/png-craft.js';

/**
 * Mutation fuzzing of decodeImage (PNG, JPEG and WebP): every outcome must be a decoded image or a
 * WgsrError — never another exception, a hang or a huge allocation. ~10 s per format by
 * default; FUZZ_SECONDS runs longer, FUZZ_INPUTS stops after that many inputs and FUZZ_SEED picks another sequence (`npm run fuzz`). A
 * failure prints the seed and iteration that reproduce it; each one found becomes a named test
 * in the regressions block below.
 */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/**
 * Decoding allocates what the header declares, and the default limits allow 400 megapixels:
 * the fuzzer lowers them to 1 megapixel (a mutated size field often lands between), so that
 * one decode allocating more than MAX_DECODE_GROWTH (a 1-megapixel 16-bit RGBA image and the
 * decoder's intermediate copies take tens of MB) is the decoder allocating beyond its limits.
 * Measured per decode, from just before it to just after it (its result still alive): the
 * growth across many decodes mostly measures garbage not yet collected.
 */
const FUZZ_LIMITS = { maxPixels: 1_000_000 };
const MAX_DECODE_GROWTH = 128 * 1024 * 1024;
/**
 * A hang: slower than this, plus 1 µs per decoded sample (decoding is linear in the declared
 * size, which the limits bound; measured 0.27 µs per sample here for a 16-megapixel image).
 */
const MAX_DECODE_MS = 2000;
const MAX_MS_PER_SAMPLE = 1e-3;

const INTERESTING_U32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 20_001];

/** One random mutation: bit flips, byte stores, 16/32-bit stores, inserts, deletes, truncation. */
function mutate(input: Uint8Array, random: Random): Uint8Array {
  const bytes = input.slice();
  const at = () => int(random, Math.max(1, bytes.length));
  switch (int(random, 6)) {
    case 0:
      for (let k = 1 + int(random, 8); k > 0; k--) bytes[at()] ^= 1 << int(random, 8);
      return bytes;
    case 1:
      for (let k = 1 + int(random, 4); k > 0; k--) bytes[at()] = random() < 0.5 ? [0, 0xff, 0x7f, 0x80][int(random, 4)]! : int(random, 256);
      return bytes;
    case 2: {
      const p = at();
      if (p + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(p, INTERESTING_U32[int(random, INTERESTING_U32.length)]!);
      return bytes;
    }
    case 3: {
      const p = at();
      return concat(bytes.subarray(0, p), Uint8Array.from({ length: 1 + int(random, 16) }, () => int(random, 256)), bytes.subarray(p));
    }
    case 4: {
      const p = at();
      return concat(bytes.subarray(0, p), bytes.subarray(p + 1 + int(random, 32)));
    }
    default:
      return bytes.subarray(0, at());
  }
}

/** PNG chunks: mutating one and fixing its CRC (and re-deflating IDAT data) reaches the decoder behind the checks. */
function pngChunks(png: Uint8Array): { type: string; data: Uint8Array }[] {
  const out: { type: string; data: Uint8Array }[] = [];
  const view = new DataView(png.buffer, png.byteOffset);
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    out.push({ type: Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1'), data: png.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

const rawSeed = (name: string, bytes: Uint8Array): Seed => ({ name: `${name} (bytes)`, make: (r) => mutate(bytes, r) });

function chunkSeed(name: string, png: Uint8Array): Seed {
  const chunks = pngChunks(png);
  return {
    name: `${name} (chunks)`,
    make(random) {
      const i = int(random, chunks.length);
      const parts = chunks.map((c, k) => {
        if (k !== i) return chunk(c.type, c.data);
        // IDAT: mutate the inflated scanlines (filter bytes, samples), then deflate again.
        const data = c.type === 'IDAT' && random() < 0.7 ? deflateSync(mutate(inflateSync(c.data), random)) : mutate(c.data, random);
        return chunk(c.type, data);
      });
      return concat(SIGNATURE, ...parts);
    },
  };
}

const gradient = (w: number, h: number, channels: 1 | 3): Image => {
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + ((i / w) | 0) * 13) & 255;
  return { width: w, height: h, channels, bitDepth: 8, data };
};

const PNG_SEEDS: Seed[] = (() => {
  const pngs: Record<string, Uint8Array> = {
    rgb8: craftPng({ width: 12, height: 10, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 20, y * 25, (x * y) & 255] }),
    palette4: craftPng({ width: 9, height: 7, colorType: 3, bitDepth: 4, palette: [[1, 2, 3], [200, 100, 50], [0, 255, 0]], trns: Uint8Array.of(0, 128), pixel: (x, y) => [(x + y) % 3] }),
    interlaced: craftPng({ width: 11, height: 9, colorType: 6, bitDepth: 8, interlace: true, pixel: (x, y) => [x * 20, y * 25, 9, 200] }),
    grayAlpha16: craftPng({ width: 6, height: 5, colorType: 4, bitDepth: 16, pixel: (x, y) => [x * 9000, 60000 - y * 9000] }),
  };
  return Object.entries(pngs).flatMap(([n, b]) => [rawSeed(n, b), chunkSeed(n, b)]);
})();

const JPEG_SEEDS: Seed[] = [
  rawSeed('rgb 24×16 q90', encodeImage(gradient(24, 16, 3), 'jpeg', { quality: 90, name: 'seed.jpg' })),
  rawSeed('gray 16×16 q75', encodeImage(gradient(16, 16, 1), 'jpeg', { quality: 75, name: 'seed.jpg' })),
];

/** WebP seeds: lossless and lossy, with and without alpha (libwebp's two decoders and ALPH). */
async function webpSeeds(): Promise<Seed[]> {
  const rgba: Image = { ...gradient(16, 12, 1), channels: 4, data: Uint8Array.from({ length: 16 * 12 * 4 }, (_, i) => (i * 37 + (i >> 6) * 11) & 255) };
  const encode = (image: Image, quality?: number) => encodeImageAsync(image, 'webp', { quality, name: 'seed.webp' });
  return [
    rawSeed('rgb 24×16 lossless', await encode(gradient(24, 16, 3))),
    rawSeed('rgb 24×16 q80', await encode(gradient(24, 16, 3), 80)),
    rawSeed('rgba 16×12 lossless', await encode(rgba)),
    rawSeed('rgba 16×12 q60', await encode(rgba, 60)),
  ];
}

function fuzz(format: string, seeds: Seed[]): Promise<void> {
  const decode = format === 'WebP' ? (input: Uint8Array) => decodeImageAsync(input, 'fuzz', FUZZ_LIMITS) : (input: Uint8Array) => decodeImage(input, 'fuzz', FUZZ_LIMITS);
  const samples = (image: Image) => {
    expect(image.data.length).toBe(image.width * image.height * image.channels);
    return image.data.length;
  };
  return runFuzz({
    what: format,
    seconds: SECONDS,
    seed: SEED,
    seeds,
    attempt(input) {
      const image = decode(input);
      return image instanceof Promise ? image.then(samples) : samples(image);
    },
    maxMs: (samples) => MAX_DECODE_MS + samples * MAX_MS_PER_SAMPLE,
    maxGrowth: MAX_DECODE_GROWTH,
  });
}

describe('mutation fuzzing of the image decoders', () => {
  const timeout = SECONDS * 1000 + 60_000;
  it(`every mutated PNG decodes or fails with a WgsrError (${SECONDS} s, FUZZ_SEED=${SEED})`, { timeout }, () => fuzz('PNG', PNG_SEEDS));
  it(`every mutated JPEG decodes or fails with a WgsrError (${SECONDS} s, FUZZ_SEED=${SEED})`, { timeout }, () => fuzz('JPEG', JPEG_SEEDS));
  it(`every mutated WebP decodes or fails with a WgsrError (${SECONDS} s, FUZZ_SEED=${SEED})`, { timeout }, async () => fuzz('WebP', await webpSeeds()));
});

/**
 * Inputs the fuzzer found, each named for what it exposed.
 */
describe('image fuzz regressions', () => {
  // FUZZ_SEED=1, iteration 5095 (grayAlpha16 chunks): 168 bytes whose IHDR claims 8214×2053
  // 16-bit gray+alpha (67 MB of scanlines) while IDAT inflates to 125 bytes. pngjs does not
  // refuse the short data: it fills the missing scanlines from an uninitialised buffer, so the
  // result depends on leftover heap memory — a zero-filled heap decodes (9 s, a 16-megapixel
  // image), a used one fails on a garbage filter byte ("Unrecognised filter type - 255"). A
  // 168-byte upload costs seconds and 135 MB, and may return stale process memory as pixels.
  // The same shape, smaller so that it runs fast: 2000×500 claimed, 125 bytes of scanlines.
  it('short IDAT: image data far shorter than its header is refused as truncated', () => {
    const bytes = concat(SIGNATURE, ihdr(2000, 500, 16, 4), chunk('IDAT', deflateSync(new Uint8Array(125))), chunk('IEND', new Uint8Array(0)));
    expect(() => decodeImage(bytes, 'short-idat.png')).toThrow(/truncated PNG/);
  });
});
