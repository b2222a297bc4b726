import { DTYPE_SIZE } from './dtypes.js';
import { modelError } from './model-error.js';
import { unpickle, type PickleValue } from './pickle.js';
import { parseStorageRecord, torchGlobal, type StorageRef } from './torch-pickle.js';
import { elementBudget, materializeTensor, type TorchCheckpoint } from './torch-tensor.js';

/** The magic number torch's legacy format starts with (torch/serialization.py MAGIC_NUMBER). */
const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * The magic number as pickle protocols 0 and 1 write it: a text LONG ("L…L\n") then STOP. With
 * protocol 2 and up the file starts with PROTO (0x80) instead.
 */
const TEXT_MAGIC = new TextEncoder().encode(`L${MAGIC_NUMBER}L\n.`);

/** Whether `bytes` can be torch's legacy format: a pickle with PROTO, or the magic number in text. */
export function isTorchLegacy(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 || TEXT_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The legacy format of torch.save (torch < 1.6; the 2018 ESRGAN weights and many community
 * files): five pickles back to back — magic number, protocol version, system info, the object
 * tree, the list of storage keys — then, for each key in that list, an int64 element count and the
 * storage's raw little-endian bytes. Storage keys are arbitrary strings (torch used memory
 * addresses), so they are matched by name, never by position or by parsing them.
 */
export function readTorchLegacy(bytes: Uint8Array, source: string): TorchCheckpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records = new Map<string, StorageRef>();
  let pos = 0;
  const next = (label: string, persistent = false): PickleValue => {
    const result = unpickle(bytes, pos, {
      source,
      label,
      findGlobal: (module, name) => torchGlobal(module, name, source),
      ...(persistent && { persistentLoad: (pid: PickleValue) => record(parseStorageRecord(pid, source, bytes.length)) }),
    });
    pos = result.end;
    return result.value;
  };
  const record = (ref: StorageRef): StorageRef => {
    const known = records.get(ref.key);
    if (known && (known.dtype !== ref.dtype || known.numel !== ref.numel)) {
      throw modelError('BAD_MODEL', source, `storage "${ref.key}" is described twice, as ${known.numel} ${known.dtype} and as ${ref.numel} ${ref.dtype}; the file is damaged.`);
    }
    if (!known) records.set(ref.key, ref);
    return ref;
  };

  const magic = next('magic number');
  if (magic !== MAGIC_NUMBER) {
    throw modelError('BAD_MODEL', source, 'not a PyTorch checkpoint: a pickle without torch.save\'s magic number. Save the weights with torch.save(model.state_dict(), path).');
  }
  // Pickle protocol 0 writes the version as text (INT, "I1001\n"); protocol 1 as BININT2. A
  // protocol-0 file also writes each storage reference as the text of a tuple, which no
  // torch.load reads back, so it is refused here with what to do.
  if (bytes[pos] === 0x49) {
    throw modelError(
      'UNSUPPORTED_MODEL',
      source,
      'old PyTorch format: saved with pickle protocol 0, whose storage references no version of torch.load reads back. ' +
        'Re-save it with a current torch: torch.save(model.state_dict(), path).',
    );
  }
  const protocol = next('protocol version');
  if (protocol !== PROTOCOL_VERSION) {
    throw modelError('UNSUPPORTED_MODEL', source, `legacy torch.save protocol version ${String(protocol)} is not supported (expected ${PROTOCOL_VERSION}).`);
  }
  if (!(next('system info') instanceof Map)) throw modelError('BAD_MODEL', source, 'the system-info record of the legacy format is not a dict; the file is damaged.');
  const root = next('object pickle', true);
  const keys = next('storage key list');
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) {
    throw modelError('BAD_MODEL', source, 'the storage key list of the legacy format is not a list of strings; the file is damaged.');
  }

  const storages = new Map<string, Uint8Array>();
  for (const key of keys) {
    const ref = records.get(key);
    if (!ref) throw modelError('BAD_MODEL', source, `storage "${key}" is listed but no tensor uses it; the file is damaged.`);
    if (storages.has(key)) throw modelError('BAD_MODEL', source, `storage "${key}" is listed twice; the file is damaged.`);
    const size = DTYPE_SIZE[ref.dtype];
    if (pos + 8 > bytes.length) throw modelError('BAD_MODEL', source, `the file ends before storage "${key}" (byte ${pos}); it is truncated.`);
    const low = view.getUint32(pos, true);
    const high = view.getInt32(pos + 4, true);
    const numel = high * 4294967296 + low;
    if (numel !== ref.numel) {
      throw modelError('BAD_MODEL', source, `storage "${key}" at byte ${pos} has ${numel} elements but the pickle says ${ref.numel}; the file is damaged.`);
    }
    const start = pos + 8;
    const end = start + numel * size;
    if (end > bytes.length) {
      throw modelError('BAD_MODEL', source, `storage "${key}" needs ${numel * size} bytes at byte ${start} but the file ends at ${bytes.length}; it is truncated.`);
    }
    storages.set(key, bytes.subarray(start, end));
    pos = end;
  }

  const budget = elementBudget(bytes.length);
  return {
    root,
    tensor: (tensorView, key) => {
      const ref = tensorView.storage;
      const data = storages.get(ref.key);
      if (!data) throw modelError('BAD_MODEL', source, `tensor "${key}" uses storage "${ref.key}", which the file does not contain; it is incomplete.`);
      // A legacy view record points into its root storage, in elements.
      const size = DTYPE_SIZE[ref.dtype];
      const storage = ref.view ? data.subarray(ref.view.offset * size, (ref.view.offset + ref.view.numel) * size) : data;
      return materializeTensor(tensorView, storage, key, source, budget);
    },
  };
}
