import { WgsrError } from '../errors.js';
import { modelError } from './model-error.js';
import { loadNcnn } from './ncnn.js';
import type { PickleValue } from './pickle.js';
import { isTorchLegacy, readTorchLegacy } from './pth-legacy.js';
import { readTorchZip } from './pth-zip.js';
import { readSafetensors } from './safetensors.js';
import { findStateDict, stripModulePrefix } from './state-dict.js';
import { TensorView } from './torch-pickle.js';
import type { TorchCheckpoint } from './torch-tensor.js';
import type { LoadedWeights, ModelBytes, StateDict, WeightsFormat } from './types.js';

/**
 * Loads a model's weights from one file's bytes (loadWeights) or from ncnn's pair (loadNcnn).
 * Anything that is not bytes gets an error that says what to pass.
 */
export function loadModelBytes(model: ModelBytes, source?: string): LoadedWeights {
  if (model !== null && typeof model === 'object' && 'param' in model && 'bin' in model) {
    return loadNcnn(bytesOf(model.param, 'the .param of the ncnn model'), bytesOf(model.bin, 'the .bin of the ncnn model'), source);
  }
  return loadWeights(bytesOf(model, 'the model'), source);
}

/** A Uint8Array view of any typed array or ArrayBuffer. */
function bytesOf(value: unknown, what: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const got = value === null ? 'null' : typeof value === 'string' ? `the string "${value.slice(0, 60)}"` : typeof value;
  const hint = typeof value === 'string' ? ' (a file name? read the file first, or use createUpscaler from "wgsr/node", which takes a path)' : '';
  throw new WgsrError('BAD_ARGUMENT', `${what} must be its bytes (Uint8Array, another typed array or an ArrayBuffer), or { param, bin } for an ncnn model; got ${got}${hint}`);
}

/**
 * Loads weights from the bytes of a `.pth` / `.pt` (torch zip or legacy format) or a
 * `.safetensors` file, sniffing the format from the content, never from the name. Nothing in the
 * file is executed. `source` (a file name) appears in error messages.
 */
export function loadWeights(bytes: Uint8Array, source = 'model file'): LoadedWeights {
  // A Node Buffer is a Uint8Array whose slice() does not copy; work on a plain view of it.
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffFormat(bytes, source);
  if (format === 'safetensors') {
    const file = readSafetensors(bytes, source);
    return { format, stateDict: stripModulePrefix(file.stateDict), metadata: file.metadata };
  }
  const checkpoint = format === 'pth-zip' ? readTorchZip(bytes, source) : readTorchLegacy(bytes, source);
  return { format, ...extractStateDict(checkpoint, source) };
}

/** Chooses the weights in the object tree, then decodes only those tensors. */
function extractStateDict(checkpoint: TorchCheckpoint, source: string): { stateDict: StateDict; wrapperKey?: string } {
  const found = findStateDict<PickleValue>(checkpoint.root, (v) => v instanceof TensorView, source);
  const stateDict: StateDict = new Map();
  for (const [key, view] of found.entries) stateDict.set(key, checkpoint.tensor(view as TensorView, key));
  return found.wrapperKey === undefined ? { stateDict } : { stateDict, wrapperKey: found.wrapperKey };
}

export function sniffFormat(bytes: Uint8Array, source: string): WeightsFormat {
  if (bytes.length === 0) throw modelError('BAD_MODEL', source, 'the file is empty.');
  // Zip local-file header "PK\x03\x04" (or an empty archive's end record "PK\x05\x06").
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return 'pth-zip';
  // safetensors: the JSON header right after the 8-byte length starts with '{'. Checked before
  // the pickle test because a header length's low byte may be 0x80. A length made of 8 printable
  // characters (over 2^61) is text that happens to have a '{' there.
  if (bytes.length > 8 && bytes[8] === 0x7b && !isPrintable(bytes.subarray(0, 8))) return 'safetensors';
  // Torch's legacy format is five pickles in a row, the first one its magic number.
  if (isTorchLegacy(bytes)) return 'pth-legacy';
  if (startsWithText(bytes, '7767517')) {
    throw modelError('BAD_ARGUMENT', source, 'this is an ncnn .param file (the graph); its weights are in the .bin beside it: load both, as { param, bin }, or give the .param path to the command line.');
  }
  if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw modelError('UNSUPPORTED_MODEL', source, 'this is a tar-format checkpoint from PyTorch < 0.4; load it with a newer PyTorch and re-save it with torch.save.');
  }
  throw modelError(
    'BAD_MODEL',
    source,
    `not a model file: expected a PyTorch checkpoint (.pth/.pt, zip or legacy) or .safetensors, but the file starts with ${preview(bytes)}.`,
  );
}

function startsWithText(bytes: Uint8Array, text: string): boolean {
  return bytes.length >= text.length && [...text].every((ch, i) => bytes[i] === ch.charCodeAt(0));
}

function preview(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  if (isPrintable(head)) return `the text ${JSON.stringify(String.fromCharCode(...head))}`;
  return `the bytes ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

function isPrintable(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
}
