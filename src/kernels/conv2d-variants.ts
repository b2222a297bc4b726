import type { ElementType } from '../gpu/buffers.js';
import { chooseGemmTile, GEMM_GROUPS, GEMM_PIXELS } from './conv2d-gemm-wgsl.js';

/**
 * The conv kernel family as data: what each variant is, what it needs from the adapter and
 * what it can fuse. Choosing one (by name, by heuristic or by measurement: engine/kernels.ts)
 * happens per conv shape; every variant reads the same packed weights (conv2d-weights.ts),
 * so switching variants never repacks.
 */
export const CONV_KERNEL_NAMES = ['register-tile', 'gemm', 'gemm-f16'] as const;
export type ConvKernelName = (typeof CONV_KERNEL_NAMES)[number];

export interface ConvVariant {
  readonly name: ConvKernelName;
  readonly summary: string;
  /** What the FMAs compute in (accumulation is f32 in every variant). */
  readonly math: 'f32' | 'f16';
  /** Activation storage it runs with. */
  readonly storage: readonly ElementType[];
  /** The work of one invocation and of one workgroup, in words. */
  readonly tile: string;
  readonly accumulatorsPerInvocation: number;
  /** How the workgroup size is set. */
  readonly workgroup: string;
  /** Device features it needs. */
  readonly features: readonly GPUFeatureName[];
  /** Fused reads and epilogues: every variant here has all of them (bias, LeakyReLU/ReLU, PReLU, tanh, two scaled residuals, nearest upsample, pixel-unshuffle). */
  readonly fuses: 'all';
  /** Whether it is the heuristic's pick on CPU adapters (lavapipe, SwiftShader, llvmpipe). */
  readonly forCpu: boolean;
  /** Why it is not offered for a conv of kernel size k with coutGroups vec4 groups on these limits; undefined when it is. */
  layerUnsupported(k: number, coutGroups: number, limits: GPUSupportedLimits): string | undefined;
  /** What runs the layers it is not offered for. */
  readonly layerFallback: ConvKernelName;
}

export const CONV_VARIANTS: readonly ConvVariant[] = [
  {
    name: 'register-tile',
    summary: 'one invocation per 16 channels × 4×4 pixels, weights shared over subgroups; the CPU-adapter winner',
    math: 'f32',
    storage: ['f32', 'f16'],
    tile: '16 channels × 4 rows × 4 pixels per invocation (8 channels without subgroups; 2 pixels for kernels over 3×3), 8×8 invocations per workgroup',
    accumulatorsPerInvocation: 256,
    workgroup: 'fixed 8×8',
    features: [],
    fuses: 'all',
    forCpu: true,
    layerUnsupported: () => undefined,
    layerFallback: 'register-tile',
  },
  {
    name: 'gemm',
    summary: 'workgroup-tiled implicit GEMM: input tile with halo and weight slab in workgroup memory',
    math: 'f32',
    storage: ['f32', 'f16'],
    tile: `${GEMM_GROUPS * 4} channels × ${GEMM_PIXELS} pixels per invocation; up to 64 channels × 8 rows × 32 pixels per workgroup`,
    accumulatorsPerInvocation: GEMM_GROUPS * 4 * GEMM_PIXELS,
    workgroup: 'the largest of 256/128/64/32/16 invocations within maxComputeInvocationsPerWorkgroup and maxComputeWorkgroupStorageSize',
    features: [],
    fuses: 'all',
    forCpu: false,
    layerUnsupported: (k, groups, limits) => gemmUnsupported(k, groups, 'f32', limits),
    layerFallback: 'register-tile',
  },
  {
    name: 'gemm-f16',
    summary: 'the implicit GEMM with f16 tiles and f16 FMAs, partial sums added into f32 after every input channel (kernel row above 3×3)',
    math: 'f16',
    storage: ['f16'],
    tile: 'as gemm',
    accumulatorsPerInvocation: GEMM_GROUPS * 4 * GEMM_PIXELS,
    workgroup: 'as gemm',
    features: ['shader-f16'],
    fuses: 'all',
    forCpu: false,
    // Kernels over 3×3: f16 products of a whole 9×9 kernel row (SRGAN's first and last convs)
    // put the network 1.02× over the f16 budget on the fixture; those layers run gemm.
    layerUnsupported: (k, groups, limits) => (k > 3 ? `f16 math over ${k}×${k} kernels exceeds the f16 error budget` : gemmUnsupported(k, groups, 'f16', limits)),
    layerFallback: 'gemm',
  },
];

function gemmUnsupported(k: number, groups: number, math: 'f32' | 'f16', limits: GPUSupportedLimits): string | undefined {
  const tile = chooseGemmTile(k, groups, math, limits);
  if (tile) return undefined;
  return `no workgroup tile for a ${k}×${k} kernel fits ${limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory and ${limits.maxComputeInvocationsPerWorkgroup} invocations`;
}

export function convVariant(name: ConvKernelName): ConvVariant {
  return CONV_VARIANTS.find((v) => v.name === name)!;
}

export const isConvKernelName = (name: unknown): name is ConvKernelName => typeof name === 'string' && (CONV_KERNEL_NAMES as readonly string[]).includes(name);

/** Why a variant cannot run on a device at a storage precision; undefined when it can. */
export function variantUnsupported(v: ConvVariant, device: Pick<GPUDevice, 'features'>, element: ElementType): string | undefined {
  const missing = v.features.filter((f) => !device.features.has(f));
  if (missing.length) return `the device lacks ${missing.join(', ')}`;
  if (!v.storage.includes(element)) return `runs with ${v.storage.join('/')} activations only, not ${element}`;
  return undefined;
}

/** The variants a device offers at a storage precision. */
export function offeredConvVariants(device: Pick<GPUDevice, 'features'>, element: ElementType): ConvVariant[] {
  return CONV_VARIANTS.filter((v) => variantUnsupported(v, device, element) === undefined);
}

/** A conv layer's shape as the tuner keys it: what changes a kernel's speed. */
export interface ConvShape {
  readonly cin: number;
  readonly cout: number;
  readonly k: number;
  /** 'none', 'up2' (nearest ×2 read), 'unshuffle2', … */
  readonly read: string;
}

export const convShapeKey = (s: ConvShape): string => `${s.cin}->${s.cout} k${s.k}${s.read === 'none' ? '' : ` ${s.read}`}`;

/** Which variant computes a conv of a given shape (made by engine/kernels.ts). */
export type ConvKernelChoice = (shape: ConvShape) => ConvKernelName;

/** A conv's tuner shape from its weights' shape [cout, cin, k, k] and its fused read. */
export function convShapeOf(weightShape: readonly number[], read: { kind: string; factor?: number }): ConvShape {
  const [cout, cin, k] = weightShape as [number, number, number];
  const r = read.kind === 'none' ? 'none' : `${read.kind === 'upsample_nearest' ? 'up' : 'unshuffle'}${read.factor}`;
  return { cin, cout, k, read: r };
}
