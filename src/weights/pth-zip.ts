import { byteSwapped, DTYPE_SIZE } from './dtypes.js';
import { modelError } from './model-error.js';
import { unpickle } from './pickle.js';
import { parseStorageRecord, torchGlobal, type StorageRef } from './torch-pickle.js';
import { elementBudget, materializeTensor, type TorchCheckpoint } from './torch-tensor.js';
import { readStoredZip, type ZipEntry } from './zip.js';

/**
 * The zip format of torch.save (torch ≥ 1.6): `<prefix>/data.pkl` holds the object tree, each
 * storage is the entry `<prefix>/data/<key>`, and `<prefix>/byteorder` says how they are stored
 * (absent in older files: little-endian). The prefix is whatever the writer chose — `archive/`
 * by default, the file's stem in torch < 2, anything in hand-made files — so it is found, never
 * assumed.
 */
export function readTorchZip(bytes: Uint8Array, source: string): TorchCheckpoint {
  const entries = readStoredZip(bytes, source);
  const prefix = findRecordPrefix(entries, source);
  const byteorder = entries.get(`${prefix}byteorder`);
  const order = byteorder ? new TextDecoder().decode(byteorder.data).trim() : 'little';
  if (order !== 'little' && order !== 'big') throw modelError('BAD_MODEL', source, `${prefix}byteorder says "${order.slice(0, 20)}", expected "little" or "big".`);

  const pickle = entries.get(`${prefix}data.pkl`)!;
  const { value: root } = unpickle(pickle.data, 0, {
    source,
    label: `${prefix}data.pkl`,
    findGlobal: (module, name) => torchGlobal(module, name, source),
    persistentLoad: (pid) => parseStorageRecord(pid, source, bytes.length),
  });

  const budget = elementBudget(bytes.length);
  const storages = new Map<string, Uint8Array>();
  const storageBytes = (ref: StorageRef): Uint8Array => {
    const cached = storages.get(ref.key);
    if (cached) return cached;
    const name = `${prefix}data/${ref.key}`;
    const entry = entries.get(name);
    if (!entry) throw modelError('BAD_MODEL', source, `a tensor uses storage "${ref.key}" but the archive has no entry ${name}; the file is incomplete.`);
    const size = DTYPE_SIZE[ref.dtype];
    const need = ref.numel * size;
    if (entry.data.length < need) {
      throw modelError('BAD_MODEL', source, `storage ${name} should hold ${ref.numel} ${ref.dtype} elements (${need} bytes) but has ${entry.data.length} bytes; the file is damaged.`);
    }
    const data = order === 'big' && size > 1 ? byteSwapped(entry.data.subarray(0, need), size) : entry.data.subarray(0, need);
    storages.set(ref.key, data);
    return data;
  };
  return {
    root,
    tensor: (view, key) => materializeTensor(view, storageBytes(view.storage), key, source, budget),
  };
}

/**
 * The folder holding data.pkl. torch's reader takes the first entry's top-level folder; files
 * written by other tools may nest it deeper, so failing that, the one data.pkl there is wins.
 */
function findRecordPrefix(entries: Map<string, ZipEntry>, source: string): string {
  const first = entries.keys().next().value;
  const slash = first?.indexOf('/') ?? -1;
  const prefix = first !== undefined && slash >= 0 ? first.slice(0, slash + 1) : '';
  if (entries.has(`${prefix}data.pkl`)) return prefix;
  const names = [...entries.keys()];
  const candidates = names.filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (candidates.length === 1) return candidates[0]!.slice(0, -'data.pkl'.length);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  throw modelError(
    'BAD_MODEL',
    source,
    candidates.length
      ? `this zip holds several data.pkl (${candidates.slice(0, 4).join(', ')}); a torch.save checkpoint has one.`
      : `this zip is not a PyTorch checkpoint: it has no <folder>/data.pkl (entries: ${shown || 'none'}).`,
  );
}
