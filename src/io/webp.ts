import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import decodeWasm, { init as initDecoder } from '@jsquash/webp/decode.js';
import encodeWasm, { init as initEncoder } from '@jsquash/webp/encode.js';
import { WgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { checkDecoderMemory, checkDeclaredSize, type ImageLimits } from './limits.js';
import { readWebpHeader } from './webp-header.js';

/**
 * WebP through libwebp compiled to WebAssembly (@jsquash/webp, from Squoosh): no native code,
 * the same bytes on every platform. Its loaders fetch the .wasm files by URL, which Node cannot,
 * so the modules are compiled here from the package's files and handed to it.
 *
 * libwebp works in 8-bit RGBA: an image without alpha comes back as RGB (3 channels), one with
 * alpha as RGBA; gray and 16-bit images are written as 8-bit RGB(A) (v·255/65535 rounded).
 */

/** A minimal module using one SIMD instruction: whether this runtime has WebAssembly SIMD (as wasm-feature-detect checks it). */
const SIMD_PROBE = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11);

let decoderReady: Promise<void> | undefined;
let encoderReady: Promise<void> | undefined;

function codecFile(relative: string): Uint8Array<ArrayBuffer> {
  const root = dirname(createRequire(import.meta.url).resolve('@jsquash/webp/package.json'));
  return new Uint8Array(readFileSync(join(root, relative)));
}

type InitWithModule = (module: WebAssembly.Module) => Promise<unknown>;

function loadDecoder(): Promise<void> {
  decoderReady ??= WebAssembly.compile(codecFile('codec/dec/webp_dec.wasm')).then((m) => (initDecoder as unknown as InitWithModule)(m)).then(() => undefined);
  return decoderReady;
}

function loadEncoder(): Promise<void> {
  // The package picks its SIMD or plain glue code by the same probe; the module must match it.
  const file = WebAssembly.validate(SIMD_PROBE) ? 'codec/enc/webp_enc_simd.wasm' : 'codec/enc/webp_enc.wasm';
  encoderReady ??= WebAssembly.compile(codecFile(file)).then((m) => (initEncoder as unknown as InitWithModule)(m)).then(() => undefined);
  return encoderReady;
}

export async function decodeWebp(bytes: Uint8Array, name: string, limits?: ImageLimits): Promise<Image> {
  const header = readWebpHeader(bytes, name);
  checkDeclaredSize(name, 'WebP', header.width, header.height, limits);
  const pixels = header.width * header.height;
  // libwebp's RGBA output inside the WebAssembly memory, its copy out, and our copy.
  checkDecoderMemory(name, `${header.width}×${header.height} WebP`, pixels * 4 * 3, limits);
  await loadDecoder();
  let rgba: { width: number; height: number; data: Uint8ClampedArray };
  try {
    const copy = bytes.slice().buffer;
    rgba = await decodeWasm(copy);
  } catch (e) {
    throw new WgsrError('BAD_IMAGE', `${name}: corrupt or truncated WebP (libwebp could not decode it)`, { cause: e });
  }
  if (rgba.width !== header.width || rgba.height !== header.height) {
    throw new WgsrError('BAD_IMAGE', `${name}: corrupt WebP (decoded ${rgba.width}×${rgba.height}, header says ${header.width}×${header.height})`);
  }
  if (header.hasAlpha) return { width: rgba.width, height: rgba.height, channels: 4, bitDepth: 8, data: new Uint8Array(rgba.data.buffer, rgba.data.byteOffset, rgba.data.byteLength) };
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[p * 3] = rgba.data[p * 4]!;
    rgb[p * 3 + 1] = rgba.data[p * 4 + 1]!;
    rgb[p * 3 + 2] = rgba.data[p * 4 + 2]!;
  }
  return { width: rgba.width, height: rgba.height, channels: 3, bitDepth: 8, data: rgb };
}

export interface WebpEncodeOptions {
  /** Lossy at this quality (1–100); without it the image is stored losslessly. */
  quality?: number;
}

/** WebP's largest side (14-bit sizes in the bitstream). */
const WEBP_MAX_SIDE = 16383;

export async function encodeWebp(image: Image, name: string, options: WebpEncodeOptions = {}): Promise<Uint8Array> {
  if (image.width > WEBP_MAX_SIDE || image.height > WEBP_MAX_SIDE) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: ${image.width}×${image.height} is larger than WebP allows (${WEBP_MAX_SIDE} pixels per side); write a .png instead`);
  }
  const pixels = image.width * image.height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const to8 = image.bitDepth === 16 ? (v: number) => Math.round(v / 257) : (v: number) => v;
  const c = image.channels;
  const hasAlpha = c === 2 || c === 4;
  for (let p = 0; p < pixels; p++) {
    const gray = c <= 2;
    for (let k = 0; k < 3; k++) rgba[p * 4 + k] = to8(image.data[p * c + (gray ? 0 : k)]!);
    rgba[p * 4 + 3] = hasAlpha ? to8(image.data[p * c + c - 1]!) : 255;
  }
  await loadEncoder();
  const lossless = options.quality === undefined;
  // `exact` keeps the color of fully transparent pixels, which lossless would otherwise alter.
  const encoded = await encodeWasm({ data: rgba, width: image.width, height: image.height, colorSpace: 'srgb' }, lossless ? { lossless: 1, exact: 1 } : { quality: options.quality! });
  return new Uint8Array(encoded);
}
