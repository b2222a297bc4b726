import { WgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import type { StorageBinding } from './program.js';
import type { TensorRef } from './tensor.js';

/**
 * How the activation tensors of a dispatch store their elements. Every kernel computes in f32;
 * with f16 storage it converts on load and on store, so half the bytes move and the math and
 * its accumulators keep f32 precision. All tensors of one dispatch share one element type.
 *
 * An f16 store of a value beyond f16's range has no defined result in WGSL (inf on most
 * hardware, anything on some): such a store writes the clamped value and sets the tensor's
 * overflow flag, so the caller learns the result is not to be trusted and can redo it in f32.
 */

/** f16's largest finite value. */
export const F16_MAX = 65504;

export const elementTypeOf = (t: TensorRef): ElementType => (t.half ? 'f16' : 'f32');

/** The element type shared by all of a dispatch's tensors, and the overflow flag to bind with f16. */
export function dispatchElements(kernel: string, tensors: readonly TensorRef[]): { type: ElementType; overflow: GPUBuffer[] } {
  const type = elementTypeOf(tensors[0]!);
  for (const t of tensors) {
    if (elementTypeOf(t) !== type) throw new WgsrError('BAD_ARGUMENT', `${kernel}: mixes f32 and f16 tensors; all tensors of one kernel must share an element type`);
  }
  if (type === 'f32') return { type, overflow: [] };
  const flag = tensors[0]!.half!.overflow;
  if (tensors.some((t) => t.half!.overflow !== flag)) throw new WgsrError('BAD_ARGUMENT', `${kernel}: f16 tensors report overflow to different flags`);
  return { type, overflow: [flag] };
}

/** The directive that must open a module storing f16 (before any declaration). */
export const elementEnable = (type: ElementType): string => (type === 'f16' ? 'enable f16;\n' : '');

/**
 * Declarations for a kernel's tensors: the storage type `elem` (loads convert with `f32(…)`, a
 * no-op for f32) and, for kernels that compute values (`computes`), `to_elem(v: f32)` for
 * stores, which with f16 reports overflow to the flag `overflow` (elementBindings). Kernels
 * that only move elements store them as they are and need no flag.
 */
export function elementWgsl(type: ElementType, computes = false): string {
  const alias = `alias elem = ${type};`;
  if (!computes) return alias;
  if (type === 'f32') return `${alias}\nfn to_elem(v: f32) -> f32 { return v; }`;
  const max = F16_MAX.toFixed(1);
  return `${alias}
fn to_elem(v: f32) -> f16 {
  if (!(abs(v) <= ${max})) { atomicStore(&overflow, 1u); }
  return f16(clamp(v, -${max}, ${max}));
}`;
}

/**
 * The binding a computing kernel appends after its tensors for the f16 overflow flag (none
 * with f32); the launcher binds dispatchElements().overflow there.
 */
export function elementBindings(type: ElementType): StorageBinding[] {
  return type === 'f16' ? [{ name: 'overflow', type: 'atomic<u32>', kind: 'storage' }] : [];
}

/** A tensor binding: activations are always read_write (see program.ts). */
export const tensorBinding = (name: string): StorageBinding => ({ name, type: 'array<elem>', kind: 'storage' });

/** One variant per element type, made on first use. */
export function variantPerElement<V>(make: (type: ElementType) => V): (type: ElementType) => V {
  const made = new Map<ElementType, V>();
  return (type) => {
    let v = made.get(type);
    if (!v) made.set(type, (v = make(type)));
    return v;
  };
}
