import { modelError } from './model-error.js';
import { describe, PickleGlobal, type PickleObject, type PickleValue } from './pickle.js';
import type { DType } from './types.js';

/**
 * The torch side of unpickling: the allowlist of globals torch.save writes for a state dict, and
 * the two kinds of object they produce — storage references (persistent ids) and tensor views
 * onto them. Storages are resolved later by the format reader (zip entry or legacy record), so
 * unpickling never touches weight bytes.
 */

/** `torch.<Name>Storage` → the dtype of its elements. */
const STORAGE_DTYPES: ReadonlyMap<string, DType> = new Map([
  ['FloatStorage', 'float32'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['DoubleStorage', 'float64'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]);

/** A storage class named in a persistent id: only a dtype marker, never called. */
export class StorageType extends PickleGlobal {
  constructor(
    qualifiedName: string,
    readonly dtype: DType,
    source: string,
  ) {
    super(qualifiedName, () => {
      throw modelError('BAD_MODEL', source, `the pickle calls ${qualifiedName}, which torch.save only ever names; the file is damaged.`);
    });
  }
}

/** One storage as a persistent id describes it; `view` only in the legacy format. */
export class StorageRef implements PickleObject {
  readonly pickleType = 'storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Number of elements the record claims; checked against the bytes actually present. */
    readonly numel: number,
    readonly view?: { readonly key: string; readonly offset: number; readonly numel: number },
  ) {}
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view of a storage. */
export class TensorView implements PickleObject {
  readonly pickleType = 'tensor';
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export const ALLOWED_GLOBALS = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  ...[...STORAGE_DTYPES.keys()].map((name) => `torch.${name}`),
] as const;

/** Resolves a global against the allowlist; anything else is refused, naming it. */
export function torchGlobal(module: string, name: string, source: string): PickleGlobal {
  const qualifiedName = `${module}.${name}`;
  const bad = (what: string) => modelError('BAD_MODEL', source, `${qualifiedName} ${what}; the file is damaged.`);
  if (module === 'collections' && name === 'OrderedDict') {
    // Python 3 pickles OrderedDict() and then sets its items; Python 2 (torch under Python 2)
    // passes them to the constructor as a list of [key, value] pairs. Either way: a plain map.
    return new PickleGlobal(qualifiedName, (args) => {
      if (args.length === 0) return new Map();
      const [items] = args;
      if (args.length !== 1 || !Array.isArray(items)) throw bad(`is called with ${describe(items)} arguments instead of a list of (key, value) pairs`);
      const dict = new Map<PickleValue, PickleValue>();
      for (const pair of items) {
        if (!Array.isArray(pair) || pair.length !== 2) throw bad(`gets an item that is a ${describe(pair)} instead of a (key, value) pair`);
        dict.set(pair[0]!, pair[1]!);
      }
      return dict;
    });
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks) since torch 0.4;
  // _rebuild_tensor(storage, offset, size, stride) in torch 0.3. Both make a strided view.
  if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor')) {
    return new PickleGlobal(qualifiedName, (args) => {
      const [storage, offset, shape, stride] = args;
      if (!(storage instanceof StorageRef)) throw bad(`gets a ${describe(storage)} instead of a storage`);
      return new TensorView(storage, toIndex(offset, 'storage offset', bad), toIndexList(shape, 'size', bad), toIndexList(stride, 'stride', bad));
    });
  }
  if (module === 'torch._utils' && name === '_rebuild_parameter') {
    return new PickleGlobal(qualifiedName, (args) => {
      if (!(args[0] instanceof TensorView)) throw bad(`gets a ${describe(args[0])} instead of a tensor`);
      return args[0];
    });
  }
  const dtype = module === 'torch' ? STORAGE_DTYPES.get(name) : undefined;
  if (dtype) return new StorageType(qualifiedName, dtype, source);
  if (module === 'torch' && /^[A-Za-z0-9_]+Storage$/.test(name)) {
    throw modelError(
      'UNSUPPORTED_MODEL',
      source,
      `the checkpoint stores tensors as ${qualifiedName}, a dtype wgsr does not read (it reads ${[...STORAGE_DTYPES.values()].join(', ')}). ` +
        'Convert the weights to float32 or float16 in PyTorch and save them again.',
    );
  }
  throw modelError(
    'UNSAFE_MODEL',
    source,
    `refusing to load: the pickle references ${qualifiedName}, which is not on the allowlist of what torch.save ` +
      `writes for a state dict (${ALLOWED_GLOBALS.join(', ')}). wgsr never executes code from a model file. ` +
      (module.startsWith('__torch__')
        ? 'This is a TorchScript archive; save model.state_dict() with torch.save instead.'
        : 'If the file stores a whole pickled model or training state, re-save just its weights: torch.save(model.state_dict(), path).'),
  );
}

/**
 * Reads a persistent id: ('storage', storage_type, key, location, numel) in the zip format, with
 * a sixth field view_metadata = None | (view_key, offset, view_numel) in the legacy format.
 */
export function parseStorageRecord(pid: PickleValue, source: string, maxElements: number): StorageRef {
  const bad = (what: string) => modelError('BAD_MODEL', source, `bad storage reference in the pickle: ${what}; the file is damaged.`);
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') throw bad(`expected ('storage', type, key, location, size), got a ${describe(pid)}`);
  const [, type, key, , numel, view] = pid;
  if (!(type instanceof StorageType)) throw bad(`${describe(type)} is not a storage type`);
  if (typeof key !== 'string') throw bad(`the storage key is a ${describe(key)}`);
  const count = toIndex(numel, `storage "${key}" size`, bad);
  // Bounded memory: no storage can hold more elements than the file has bytes.
  if (count > maxElements) throw bad(`storage "${key}" claims ${count} elements but the file has only ${maxElements} bytes`);
  if (view === undefined || view === null) return new StorageRef(key, type.dtype, count);
  if (!Array.isArray(view) || view.length !== 3 || typeof view[0] !== 'string') throw bad(`storage "${key}" has a malformed view`);
  const offset = toIndex(view[1], 'view offset', bad);
  const viewNumel = toIndex(view[2], 'view size', bad);
  if (offset + viewNumel > count) throw bad(`view "${view[0]}" [${offset}, ${offset + viewNumel}) lies outside storage "${key}" of ${count} elements`);
  return new StorageRef(key, type.dtype, count, { key: view[0], offset, numel: viewNumel });
}

/** A non-negative integer (sizes, strides, offsets), or an error naming what it was. */
function toIndex(v: PickleValue | undefined, what: string, bad: (what: string) => Error): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw bad(`has ${what} ${typeof v === 'number' || typeof v === 'bigint' ? String(v) : `of type ${describe(v)}`}, not a non-negative integer`);
  }
  return v;
}

function toIndexList(v: PickleValue | undefined, what: string, bad: (what: string) => Error): number[] {
  if (!Array.isArray(v)) throw bad(`has a ${what} of type ${describe(v)}, not a tuple`);
  return v.map((x) => toIndex(x, what, bad));
}
