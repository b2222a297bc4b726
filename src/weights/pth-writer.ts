import { WgsrError } from '../errors.js';
import { PickleWriter } from './pickle-writer.js';
import { encodeTensor, outputDtype, type OutputDType } from './tensor-encode.js';
import type { StateDict } from './types.js';
import { writeStoredZip, type ZipWriteEntry } from './zip-writer.js';

/**
 * Writes a state dict as torch.save does (the zip format of torch ≥ 1.6), so `torch.load` and
 * `model.load_state_dict` take it as they would a checkpoint saved by PyTorch:
 *
 * - `archive/data.pkl`: a protocol-2 pickle of an OrderedDict name → tensor (under one wrapper
 *   key, e.g. Real-ESRGAN's `params_ema`, when asked), each tensor
 *   `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with the
 *   storage a persistent id `('storage', torch.<Type>Storage, key, 'cpu', numel)`;
 * - `archive/byteorder`: "little"; `archive/data/<key>`: each storage's bytes, little-endian;
 * - `archive/version`: the record format version, 3.
 *
 * Tensors are contiguous, one storage each. Float tensors are stored as float32, or float16
 * with `half`, or in the float16/bfloat16 they were read from (see tensor-encode.ts); integer
 * tensors (BatchNorm's num_batches_tracked) keep their dtype.
 */

export interface WriteTorchZipOptions {
  /** Put the state dict under this key of a dict ({'params_ema': state_dict}, as BasicSR saves). */
  wrapperKey?: string;
  /** Store floating-point tensors as float16. */
  half?: boolean;
}

const PREFIX = 'archive/';
/** torch's serialization record version. */
const RECORD_VERSION = '3\n';

const STORAGE_TYPES: Readonly<Record<OutputDType, string>> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

export function writeTorchZip(stateDict: StateDict, options: WriteTorchZipOptions = {}): Uint8Array {
  const { wrapperKey, half = false } = options;
  if (wrapperKey !== undefined && (typeof wrapperKey !== 'string' || wrapperKey.length === 0)) {
    throw new WgsrError('BAD_ARGUMENT', `writeTorchZip: the wrapper key must be a non-empty string, got ${JSON.stringify(wrapperKey)}`);
  }
  const pickle = new PickleWriter().proto(2);
  if (wrapperKey !== undefined) pickle.emptyDict().str(wrapperKey);
  pickle.global('collections', 'OrderedDict').emptyTuple().reduce();

  const storages: ZipWriteEntry[] = [];
  // SETITEMS in batches of 1000 pairs, as Python's pickler writes them.
  let inBatch = 0;
  for (const [name, tensor] of stateDict) {
    const numel = tensor.shape.reduce((a, b) => a * b, 1);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel !== tensor.data.length) {
      throw new WgsrError('BAD_ARGUMENT', `writeTorchZip: tensor "${name}" has shape [${tensor.shape.join(', ')}] but ${tensor.data.length} values`);
    }
    const dtype = outputDtype(tensor.dtype, half);
    const key = String(storages.length);
    storages.push({ name: `${PREFIX}data/${key}`, data: encodeTensor(tensor, dtype) });

    if (inBatch === 0) pickle.mark();
    pickle.str(name);
    pickle.global('torch._utils', '_rebuild_tensor_v2').mark();
    pickle.mark().str('storage').global('torch', STORAGE_TYPES[dtype]).str(key).str('cpu').int(numel).tuple().binpersid();
    pickle.int(0).ints(tensor.shape).ints(contiguousStrides(tensor.shape)).bool(false);
    pickle.global('collections', 'OrderedDict').emptyTuple().reduce();
    pickle.tuple().reduce();
    if (++inBatch === 1000) {
      pickle.setitems();
      inBatch = 0;
    }
  }
  if (inBatch > 0) pickle.setitems();
  if (wrapperKey !== undefined) pickle.setitem();
  pickle.stop();

  const text = (s: string) => new TextEncoder().encode(s);
  return writeStoredZip([
    { name: `${PREFIX}data.pkl`, data: pickle.bytes() },
    { name: `${PREFIX}byteorder`, data: text('little') },
    ...storages,
    { name: `${PREFIX}version`, data: text(RECORD_VERSION) },
  ]);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i]!;
  }
  return strides;
}
