/** The register tile of one conv invocation and the workgroup around it (see chooseConvTile). */
export interface ConvTile {
  /** Consecutive output pixels along x per invocation. */
  readonly px: number;
  /** Consecutive output rows per invocation. */
  readonly py: number;
  /** vec4 groups of output channels per invocation. */
  readonly cv: number;
  readonly wgX: number;
  readonly wgY: number;
  /** Subgroup size the weight loads are shared over; 0 = no subgroups. */
  readonly subgroup: number;
}

/** vec4 channel groups of the widest tile: 16 output channels (3×3 and smaller, with subgroups). */
export const WIDEST_TILE_GROUPS = 4;

/**
 * The register tile for a conv: 4·cv output channels × py rows × px pixels per invocation, in
 * workgroups of 64 that share their output channels. The weights are packed for it (the
 * weights of a tile's cv groups are contiguous), so it is chosen when they are packed.
 *
 * Measured on lavapipe, 2 cores (bench/kernels.mjs and same-process A/B runs): 16 channels ×
 * 4 rows × 4 pixels with subgroup-shared weights runs the RRDBNet convs 1.4–1.8× faster than
 * 16×2×4 (which ran 3–4× faster than the first kernel's 4 channels × 4 pixels with
 * per-invocation weights). 16×4×8 and 32×4×4 were no faster and take 2.5× longer to
 * JIT-compile; 8×4×4 was slower.
 * Without subgroups each invocation loads its own weights, so extra channels buy nothing and
 * only cost compile time. 9×9 kernels get a small tile: their unrolled code grows with k².
 * cv divides the number of channel groups, unless `padToWidest` asks for the widest tile
 * whatever the channel count: the weights are then padded with zero groups up to a multiple
 * of cv, which costs FLOPs but lets a narrow conv (an RGB output layer) share the pipeline of
 * the network's other convs instead of compiling its own.
 */
export function chooseConvTile(w: { coutGroups: number; kernelSize: number; subgroupSize: number; padToWidest?: boolean }): ConvTile {
  const small = w.kernelSize <= 3;
  const maxCv = small && w.subgroupSize ? WIDEST_TILE_GROUPS : 2;
  let cv = w.padToWidest ? maxCv : 1;
  while (cv * 2 <= maxCv && w.coutGroups % (cv * 2) === 0) cv *= 2;
  return small ? { px: 4, py: 4, cv, wgX: 8, wgY: 8, subgroup: w.subgroupSize } : { px: 2, py: 1, cv, wgX: 8, wgY: 8, subgroup: w.subgroupSize };
}

/**
 * Kernel rows whose taps are unrolled together: all of them up to 3×3; one at a time for
 * larger kernels (fully unrolled, a 9×9 kernel takes minutes to JIT-compile on lavapipe).
 */
export const unrolledKernelRows = (kernelSize: number): number => (kernelSize > 3 ? 1 : kernelSize);
