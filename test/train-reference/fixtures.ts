import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expectClose } from '../helpers/compare.js';
import { readNpy, type NpyArray } from '../helpers/npy.js';
import { tensor4FromShape, type Tensor4 } from '../reference/tensor4.js';

/** The bundled copies of the PyTorch training references (see test/fixtures/train/README.md). */
export const TRAIN_FIXTURES = resolve(__dirname, '../fixtures/train');
/** The shared originals, where the bigger model cases live. */
export const SHARED_TRAIN_FIXTURES = resolve(__dirname, '../../../shared/fixtures/train');

export interface Fixture {
  dir: string;
  meta: Record<string, unknown> & { arrays?: Record<string, number[]> };
  npy(name: string): NpyArray;
  t4(name: string): Tensor4;
}

export function fixture(dir: string): Fixture {
  const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8'));
  const npy = (name: string) => {
    const a = readNpy(resolve(dir, `${name}.npy`));
    const declared = meta.arrays?.[name];
    if (declared && declared.join() !== a.shape.join()) throw new Error(`${dir}/${name}.npy has shape [${a.shape}], meta.json says [${declared}]`);
    return a;
  };
  return { dir, meta, npy, t4: (name) => { const a = npy(name); return tensor4FromShape(a.shape, a.data); } };
}

export const opFixture = (name: string) => fixture(resolve(TRAIN_FIXTURES, 'ops', name));

/** A model case from test/fixtures, else from the shared folder; undefined when neither has it. */
export function modelFixtureDir(name: string): string | undefined {
  return [resolve(TRAIN_FIXTURES, 'models', name), resolve(SHARED_TRAIN_FIXTURES, 'models', name)].find(existsSync);
}

/**
 * A tolerance for a reference computed from float32-rounded inputs: |got − want| ≤ atol +
 * rtol·|want| with atol = ofMax·max|want|. The inputs PyTorch used were float64 and are stored
 * rounded to float32 (2^-24 relative), so a sum over many terms can differ by ~1e-7 of its
 * terms' magnitude even where it cancels to ~0: an absolute part that scales with the array is
 * what bounds that; the relative part bounds the output's own float32 storage.
 */
export interface Tolerance {
  rtol: number;
  ofMax: number;
}

/**
 * Checks got against want within the tolerance; logs the largest error, absolute and relative
 * to the largest |want|, and the share of the tolerance it used, so a run records how close the
 * reference is.
 */
export function expectMatches(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): void {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  const atol = tol.ofMax * scale;
  const c = expectClose(got, want, atol, tol.rtol, what);
  let used = 0;
  for (let i = 0; i < want.length; i++) used = Math.max(used, Math.abs(got[i]! - want[i]!) / (atol + tol.rtol * Math.abs(want[i]!)));
  console.log(
    `${what}: max |Δ| ${c.maxAbs.toExponential(2)} = ${(c.maxAbs / (scale || 1)).toExponential(2)} of max |ref|; ` +
      `${(100 * used).toFixed(0)}% of the tolerance (rtol ${tol.rtol}, atol ${tol.ofMax}·max |ref|)`,
  );
}
