// The one .npy reader of the tests, the browser checks, the Bun/Deno runner and the benchmarks
// (plain JavaScript so that all of them can import it; npy.ts gives it types for the tests).
import { readFileSync } from 'node:fs';

/**
 * Reads a little-endian float32 C-order .npy file (what the fixtures use).
 * @param {string} path
 * @returns {{ shape: number[], data: Float32Array }}
 */
export function readNpy(path) {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLen);
  if (!header.includes("'descr': '<f4'")) throw new Error(`${path}: expected float32, header ${header}`);
  if (header.includes("'fortran_order': True")) throw new Error(`${path}: Fortran order not supported`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const offset = start + headerLen;
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + count * 4));
  return { shape, data };
}
