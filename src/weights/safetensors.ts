import { decodeToFloat32, DTYPE_SIZE } from './dtypes.js';
import { modelError } from './model-error.js';
import { encodeTensor, outputDtype } from './tensor-encode.js';
import type { DType, StateDict } from './types.js';
import { readU64 } from './u64.js';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * `{"__metadata__": {…}, name: {dtype, shape, data_offsets: [begin, end]}, …}`, then the data,
 * offsets relative to its start. Every field is checked before any byte is read.
 */

/** The reference implementation refuses headers over 100 MB; so do we, before decoding one. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

const DTYPE_BY_CODE: ReadonlyMap<string, DType> = new Map([
  ['F32', 'float32'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['F64', 'float64'],
  ['I64', 'int64'],
  ['I32', 'int32'],
  ['U8', 'uint8'],
  ['BOOL', 'bool'],
]);
const CODE_BY_DTYPE = new Map([...DTYPE_BY_CODE].map(([code, dtype]) => [dtype, code]));

export interface SafetensorsFile {
  readonly stateDict: StateDict;
  readonly metadata: Record<string, string>;
}

export function readSafetensors(bytes: Uint8Array, source = 'safetensors file'): SafetensorsFile {
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string) => modelError('BAD_MODEL', source, `bad safetensors file: ${what}.`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes is too short for the 8-byte header length; the file is truncated`);
  const headerLength = readU64(new DataView(bytes.buffer, bytes.byteOffset, 8), 0);
  if (headerLength === undefined || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - 8) {
    throw bad(`the header claims ${headerLength ?? 'more than 2^53'} bytes but the file has ${bytes.length - 8} after the length field (limit ${MAX_HEADER_BYTES})`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw bad(`the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(header)) throw bad('the header is not a JSON object');

  const data = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const stateDict: StateDict = new Map();
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isRecord(entry) || !Object.values(entry).every((v) => typeof v === 'string')) throw bad('__metadata__ must map strings to strings');
      Object.assign(metadata, entry);
      continue;
    }
    if (!isRecord(entry)) throw bad(`tensor "${name}" is not described by an object`);
    const { dtype: code, shape, data_offsets: offsets } = entry;
    const dtype = typeof code === 'string' ? DTYPE_BY_CODE.get(code) : undefined;
    if (!dtype) {
      throw modelError('UNSUPPORTED_MODEL', source, `tensor "${name}" has dtype ${JSON.stringify(code)}; wgsr reads ${[...DTYPE_BY_CODE.keys()].join(', ')}.`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`tensor "${name}" has shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) throw bad(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > data.length) throw bad(`tensor "${name}" spans bytes [${begin}, ${end}) but the data section has ${data.length} bytes`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * DTYPE_SIZE[dtype] !== end - begin) {
      throw bad(`tensor "${name}" of shape [${shape.join(', ')}] ${code} needs ${count * DTYPE_SIZE[dtype]} bytes but spans ${end - begin}`);
    }
    spans.push({ name, begin, end });
    stateDict.set(name, { shape: shape as number[], data: decodeToFloat32(data.subarray(begin, end), dtype, count), dtype });
  }
  checkLayout(spans, data.length, bad);
  return { stateDict, metadata };
}

/**
 * The tensors must tile the data section exactly, as the reference implementation requires
 * (safetensors' Metadata::validate): sorted by offset, each starts where the previous one ends,
 * and the last ends at the end of the file. Overlapping tensors would share bytes (one write
 * through a memory map changes both), and a gap or a tail is data no tensor accounts for.
 */
function checkLayout(spans: { name: string; begin: number; end: number }[], dataLength: number, bad: (what: string) => Error): void {
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: (typeof spans)[number] | undefined;
  for (const span of spans) {
    if (span.begin < at) {
      throw bad(`tensors "${previous!.name}" [${previous!.begin}, ${previous!.end}) and "${span.name}" [${span.begin}, ${span.end}) overlap; each tensor must have bytes of its own`);
    }
    if (span.begin > at) {
      throw bad(`bytes [${at}, ${span.begin}) of the data section belong to no tensor${previous ? ` (a gap before "${span.name}")` : ''}; tensors must be contiguous`);
    }
    at = span.end;
    previous = span;
  }
  if (at !== dataLength) throw bad(`the tensors cover ${at} bytes but the data section has ${dataLength}; the file has bytes no tensor accounts for`);
}

export interface WriteSafetensorsOptions {
  /** Store floating-point tensors as float16 (half the size; what `wgsr convert --half` does). */
  half?: boolean;
  metadata?: Record<string, string>;
}

/**
 * Serialises a state dict. Floating-point tensors are written as F16 with `half`, else in their
 * original dtype when that is F16/BF16 (exact, since their values came from it) and as F32
 * otherwise. Integer tensors keep their dtype. The header lists tensors in state-dict order; the
 * data is laid out widest element first so every tensor starts aligned to its element size.
 */
export function writeSafetensors(stateDict: StateDict, options: WriteSafetensorsOptions = {}): Uint8Array {
  const { metadata } = options;
  // The format (and readSafetensors) allows strings only: anything else would make a file no reader takes.
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || !Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw modelError('BAD_ARGUMENT', 'writeSafetensors', 'metadata must map strings to strings');
  }
  const planned = [...stateDict].map(([name, tensor]) => {
    if (name === METADATA_KEY) throw modelError('BAD_ARGUMENT', 'writeSafetensors', `a tensor cannot be named ${METADATA_KEY}`);
    if (tensor.shape.reduce((a, b) => a * b, 1) !== tensor.data.length) {
      throw modelError('BAD_ARGUMENT', 'writeSafetensors', `tensor "${name}" has shape [${tensor.shape.join(', ')}] but ${tensor.data.length} values`);
    }
    const dtype = outputDtype(tensor.dtype, options.half ?? false);
    return { name, tensor, dtype, bytes: encodeTensor(tensor, dtype) };
  });
  const layout = [...planned].sort((a, b) => DTYPE_SIZE[b.dtype] - DTYPE_SIZE[a.dtype]);
  const offsets = new Map<string, [number, number]>();
  let dataLength = 0;
  for (const p of layout) {
    offsets.set(p.name, [dataLength, dataLength + p.bytes.length]);
    dataLength += p.bytes.length;
  }

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header[METADATA_KEY] = metadata;
  for (const p of planned) header[p.name] = { dtype: CODE_BY_DTYPE.get(p.dtype), shape: p.tensor.shape, data_offsets: offsets.get(p.name) };
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces (valid JSON whitespace) so the data starts 8-byte aligned.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(json);
    json = withPadding;
  }

  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  for (const p of layout) out.set(p.bytes, 8 + json.length + offsets.get(p.name)![0]);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
