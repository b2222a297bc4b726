import { WgsrError } from '../errors.js';
import type { StateDict } from '../weights/types.js';

/**
 * Helpers the architecture detectors share. A detector reads a few sizes from the keys and shapes,
 * builds the complete key → shape layout those sizes imply, and checks the state dict against it
 * in one go: a missing key, an unexpected key or a wrong shape is then an error that names it,
 * never a silent misbuild later.
 */
export type Layout = Map<string, readonly number[]>;

export function shapeOf(sd: StateDict, key: string): readonly number[] | undefined {
  return sd.get(key)?.shape;
}

/** The shape of a tensor the detector reads sizes from; it must exist with this many dimensions. */
export function requireShape(sd: StateDict, key: string, rank: number, arch: string): readonly number[] {
  const shape = shapeOf(sd, key);
  if (!shape) throw new WgsrError('BAD_MODEL', `looks like ${arch} but lacks ${key}; the file is incomplete or a different variant.`);
  if (shape.length !== rank) {
    throw new WgsrError('BAD_MODEL', `looks like ${arch} but ${key} has shape [${shape.join(', ')}], not ${rank}-dimensional.`);
  }
  return shape;
}

/** Adds a convolution's weight [out, in, k, k] and bias [out]. */
export function addConv(layout: Layout, name: string, out: number, inp: number, kernel = 3): void {
  layout.set(`${name}.weight`, [out, inp, kernel, kernel]);
  layout.set(`${name}.bias`, [out]);
}

/** How many of keyOf(0), keyOf(1), … exist, counting from 0 until the first gap. */
export function countConsecutive(sd: StateDict, keyOf: (i: number) => string): number {
  let n = 0;
  while (sd.has(keyOf(n))) n++;
  return n;
}

/**
 * Throws when the state dict is not exactly `expected` (keys in `optional` may be absent).
 * Unexpected keys mean a variant we cannot build (UNSUPPORTED_MODEL); missing keys or wrong
 * shapes mean a damaged or mislabelled file (BAD_MODEL).
 */
export function checkLayout(sd: StateDict, arch: string, expected: Layout, optional: ReadonlySet<string> = new Set()): void {
  const list = (keys: string[]) => keys.slice(0, 4).join(', ') + (keys.length > 4 ? `, … (${keys.length} in all)` : '');
  const missing = [...expected.keys()].filter((k) => !sd.has(k) && !optional.has(k));
  if (missing.length) throw new WgsrError('BAD_MODEL', `looks like ${arch} but lacks ${list(missing)}; the file is incomplete or a different variant.`);
  for (const [key, shape] of expected) {
    const got = shapeOf(sd, key);
    if (got && !sameShape(got, shape)) {
      throw new WgsrError('BAD_MODEL', `looks like ${arch} but ${key} has shape [${got.join(', ')}] where the other tensors imply [${shape.join(', ')}].`);
    }
  }
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k));
  if (unexpected.length) {
    throw new WgsrError('UNSUPPORTED_MODEL', `looks like ${arch} but has keys wgsr does not know: ${list(unexpected)}. This variant is not supported.`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The integer square root of n when n is a perfect square, else undefined. */
export function exactSqrt(n: number): number | undefined {
  const r = Math.round(Math.sqrt(n));
  return r * r === n ? r : undefined;
}
