import path from 'node:path';
import { readNpy } from '../helpers/npy.js';
import { tensor3, type Tensor3 } from '../reference/tensor.js';

const OPS = path.resolve(import.meta.dirname, '../fixtures/ops');

/** An [1, C, H, W] array of a PyTorch op fixture as a [C, H, W] tensor. */
export function fixtureTensor(op: string, file: string): Tensor3 {
  const a = readNpy(path.join(OPS, op, file));
  if (a.shape.length !== 4 || a.shape[0] !== 1) throw new Error(`${op}/${file}: shape [${a.shape}] is not [1, C, H, W]`);
  return tensor3(a.shape[1]!, a.shape[2]!, a.shape[3]!, a.data);
}

export function fixtureArray(op: string, file: string): Float32Array {
  return readNpy(path.join(OPS, op, file)).data;
}
