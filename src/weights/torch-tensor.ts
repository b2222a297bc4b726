import { decodeToFloat32, DTYPE_SIZE } from './dtypes.js';
import { modelError } from './model-error.js';
import type { PickleValue } from './pickle.js';
import type { TensorView } from './torch-pickle.js';
import type { WeightTensor } from './types.js';

/**
 * How many float32 elements the tensors of one file may still produce. Every real tensor is a
 * view of stored bytes, but views may overlap (shared storages, stride-0 expansions), so without
 * a budget a small hostile file could ask for gigabytes. Twice the file's byte count allows any
 * honest file, including weights tied across keys.
 */
export interface ElementBudget {
  remaining: number;
}

export function elementBudget(fileBytes: number): ElementBudget {
  return { remaining: 2 * fileBytes + 1024 };
}

/**
 * Turns a strided view into a contiguous float32 tensor. `storage` holds the storage's elements,
 * little-endian, starting at element 0. Contiguous views decode straight from the bytes; others
 * (transposed, sliced, expanded) decode the span they touch, then gather.
 */
export function materializeTensor(view: TensorView, storage: Uint8Array, key: string, source: string, budget: ElementBudget): WeightTensor {
  const { shape, stride, offset } = view;
  const dtype = view.storage.dtype;
  const size = DTYPE_SIZE[dtype];
  const storageNumel = Math.floor(storage.length / size);
  const bad = (what: string) => modelError('BAD_MODEL', source, `tensor "${key}" ${what}; the file is damaged.`);
  if (shape.length !== stride.length) throw bad(`has ${shape.length} sizes but ${stride.length} strides`);

  let numel = 1;
  let last = offset;
  for (let d = 0; d < shape.length; d++) {
    numel *= shape[d]!;
    if (numel > budget.remaining) {
      throw bad(`claims more elements than the file can hold (${budget.remaining} left of the budget of 2 per byte)`);
    }
    last += (shape[d]! - 1) * stride[d]!;
  }
  if (numel === 0) return { shape: [...shape], data: new Float32Array(0), dtype };
  if (last >= storageNumel) throw bad(`reads element ${last} of storage "${view.storage.key}", which holds ${storageNumel}`);
  budget.remaining -= numel;

  if (isContiguous(shape, stride)) {
    return { shape: [...shape], data: decodeToFloat32(storage.subarray(offset * size), dtype, numel), dtype };
  }
  const span = decodeToFloat32(storage.subarray(offset * size, (last + 1) * size), dtype, last + 1 - offset);
  return { shape: [...shape], data: gather(span, shape, stride, numel), dtype };
}

/** C order, ignoring the strides of size-1 dimensions (torch lets them be anything). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Copies a strided view (element 0 at span[0]) into C order, innermost dimension in a tight loop. */
function gather(span: Float32Array, shape: readonly number[], stride: readonly number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  const nd = shape.length;
  const innerSize = shape[nd - 1]!;
  const innerStride = stride[nd - 1]!;
  const index = new Array<number>(nd).fill(0);
  let src = 0;
  for (let o = 0; o < numel; ) {
    for (let j = 0; j < innerSize; j++) out[o++] = span[src + j * innerStride]!;
    // Advance the odometer over the outer dimensions.
    for (let d = nd - 2; d >= 0; d--) {
      index[d]!++;
      src += stride[d]!;
      if (index[d]! < shape[d]!) break;
      src -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** A torch checkpoint after unpickling: the object tree, and how to turn its views into tensors. */
export interface TorchCheckpoint {
  readonly root: PickleValue;
  tensor(view: TensorView, key: string): WeightTensor;
}
