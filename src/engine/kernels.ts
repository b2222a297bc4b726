import { WgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import type { AdapterDescription } from '../gpu/device.js';
import { foldBatchNorms } from '../graph/fold-batch-norm.js';
import { fuseGraph } from '../graph/fuse.js';
import type { Graph } from '../graph/ir.js';
import {
  CONV_KERNEL_NAMES,
  convShapeKey,
  convShapeOf,
  convVariant,
  offeredConvVariants,
  variantUnsupported,
  type ConvKernelChoice,
  type ConvKernelName,
  type ConvShape,
} from '../kernels/conv2d-variants.js';
import type { PipelineCache } from '../kernels/program.js';
import { probeConvKernel, timeConvKernels } from './conv-tuner.js';
import { loadKernelChoices, saveKernelChoices, type AdapterIdentity, type KernelChoiceStore } from './kernel-cache.js';

/**
 * Which conv kernel computes each conv of a model: a variant by name, the heuristic, or
 * `auto` (measured on the adapter, remembered per adapter, wgsr version and precision).
 */
export type KernelsOption = 'auto' | 'heuristic' | ConvKernelName;
export const KERNELS_OPTIONS: readonly KernelsOption[] = ['auto', 'heuristic', ...CONV_KERNEL_NAMES];

export function checkKernelsOption(value: unknown): KernelsOption {
  if (value === undefined) return 'heuristic';
  if (typeof value === 'string' && (KERNELS_OPTIONS as readonly string[]).includes(value)) return value as KernelsOption;
  throw new WgsrError('BAD_ARGUMENT', `kernels must be one of ${KERNELS_OPTIONS.map((n) => `"${n}"`).join(', ')}; got ${JSON.stringify(value)}`);
}

/** What the device's own adapter info says (a caller's device carries it as `adapterInfo` in recent WebGPU). */
export function adapterIdentityOf(device: GPUDevice, adapter?: AdapterDescription): AdapterIdentity & { isFallbackAdapter: boolean } {
  const info = adapter ?? (device as GPUDevice & { adapterInfo?: Partial<AdapterDescription> & { isFallbackAdapter?: boolean } }).adapterInfo;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(info?.isFallbackAdapter),
  };
}

/** lavapipe/llvmpipe, SwiftShader, WARP and other CPU implementations, from the adapter's info. */
export function isCpuAdapter(a: AdapterIdentity & { isFallbackAdapter?: boolean }): boolean {
  if (a.isFallbackAdapter) return true;
  return /llvmpipe|lavapipe|swiftshader|software|\bwarp\b|\bcpu\b/i.test([a.vendor, a.architecture, a.device, a.description].join(' '));
}

/** The distinct conv shapes of a graph as the executor runs it (batch norms folded, reads fused). */
export function graphConvShapes(graph: Graph): ConvShape[] {
  const shapes = new Map<string, ConvShape>();
  for (const n of fuseGraph(foldBatchNorms(graph)).nodes) {
    if (n.op !== 'conv2d') continue;
    const s = convShapeOf(n.weights.shape, n.inputTransform);
    shapes.set(convShapeKey(s), s);
  }
  return [...shapes.values()];
}

/** `name` where it is offered for a conv of this shape, else its fallback's choice (the register tile runs every conv). */
function perLayer(name: ConvKernelName, limits: GPUSupportedLimits): ConvKernelChoice {
  const v = convVariant(name);
  return (s) => (v.layerUnsupported(s.k, Math.ceil(s.cout / 4), limits) === undefined ? name : perLayer(v.layerFallback, limits)(s));
}

/**
 * The heuristic: the register tile on CPU adapters (measured fastest on lavapipe; see
 * conv2d-tile.ts), the implicit GEMM elsewhere, with f16 math when activations are f16.
 */
export function heuristicKernel(device: GPUDevice, identity: AdapterIdentity & { isFallbackAdapter?: boolean }, element: ElementType): ConvKernelName {
  if (isCpuAdapter(identity)) return 'register-tile';
  const offered = offeredConvVariants(device, element).map((v) => v.name);
  return element === 'f16' && offered.includes('gemm-f16') ? 'gemm-f16' : 'gemm';
}

export interface KernelSelection {
  choice: ConvKernelChoice;
  /** How it was made, for people: "heuristic (CPU adapter): register-tile". */
  how: string;
}

export interface SelectOptions {
  option: KernelsOption;
  pipelines: PipelineCache;
  graph: Graph;
  element: ElementType;
  adapter?: AdapterDescription;
  store?: KernelChoiceStore;
  warn: (message: string) => void;
  /** Wall-time budget of the measurement (default 2000 ms). */
  budgetMs?: number;
}

/** Largest probe error (relative to the output's range) a variant may show against the register tile. */
export const probeTolerance = (element: ElementType, math: 'f32' | 'f16'): number => (element === 'f32' && math === 'f32' ? 1e-5 : 4e-3);

export async function selectConvKernels(o: SelectOptions): Promise<KernelSelection> {
  const { device } = o.pipelines;
  const identity = adapterIdentityOf(device, o.adapter);
  const limits = device.limits;
  if (o.option !== 'auto' && o.option !== 'heuristic') {
    const why = variantUnsupported(convVariant(o.option), device, o.element);
    if (why) {
      const accepted = ['auto', 'heuristic', ...offeredConvVariants(device, o.element).map((v) => v.name)];
      throw new WgsrError('BAD_ARGUMENT', `kernels "${o.option}" cannot run here: it ${why}; accepted here: ${accepted.map((n) => `"${n}"`).join(', ')}`);
    }
    return { choice: perLayer(o.option, limits), how: o.option };
  }
  const heuristic = heuristicKernel(device, identity, o.element);
  const fallback = perLayer(heuristic, limits);
  if (o.option === 'heuristic') return { choice: fallback, how: `heuristic: ${heuristic}` };
  if (isCpuAdapter(identity)) {
    o.warn(`kernels "auto" on a CPU adapter uses the heuristic (${heuristic}): measuring would compile every variant, seconds each`);
    return { choice: fallback, how: `heuristic (CPU adapter): ${heuristic}` };
  }
  const shapes = graphConvShapes(o.graph);
  const cached = await loadKernelChoices(o.store, identity, o.element, o.warn);
  if (cached && shapes.every((s) => cached.has(convShapeKey(s)))) {
    return { choice: (s) => cached.get(convShapeKey(s)) ?? fallback(s), how: 'auto (cached)' };
  }
  const tuned = await tuneConvKernels(o.pipelines, shapes, o.element, o.warn, { budgetMs: o.budgetMs ?? 2000 });
  const choices = new Map<string, ConvKernelName>();
  for (const t of tuned.layers) choices.set(convShapeKey(t.shape), t.chosen ?? fallback(t.shape));
  await saveKernelChoices(o.store, identity, o.element, choices, o.warn);
  return { choice: (s) => choices.get(convShapeKey(s)) ?? fallback(s), how: 'auto (measured)' };
}

export interface TuneResult {
  variants: { name: ConvKernelName; precision: ElementType; supported: boolean; reason?: string }[];
  layers: { shape: ConvShape; timings: Partial<Record<ConvKernelName, number>>; flops: number; chosen?: ConvKernelName }[];
}

/**
 * Probes every variant the device offers, then times the ones that pass on each shape; the
 * fastest timed variant that can run a shape wins it.
 */
export async function tuneConvKernels(
  pipelines: PipelineCache,
  shapes: readonly ConvShape[],
  element: ElementType,
  warn: (message: string) => void,
  options: { budgetMs: number; height?: number; width?: number; runs?: number },
): Promise<TuneResult> {
  const { device } = pipelines;
  const variants: TuneResult['variants'] = [];
  const eligible: ConvKernelName[] = [];
  for (const name of CONV_KERNEL_NAMES) {
    const v = convVariant(name);
    let reason = variantUnsupported(v, device, element);
    if (!reason && name !== 'register-tile') {
      const error = await probeConvKernel(pipelines, name, element);
      const tolerance = probeTolerance(element, v.math);
      if (!(error <= tolerance)) {
        reason = `failed the correctness probe on this adapter (error ${error.toExponential(2)} of the range, tolerance ${tolerance})`;
        warn(`conv kernel ${name} ${reason}; not used`);
      }
    }
    variants.push(reason ? { name, precision: element, supported: false, reason } : { name, precision: element, supported: true });
    if (!reason) eligible.push(name);
  }
  const timed = await timeConvKernels(pipelines, shapes, eligible, element, {
    height: options.height ?? 128,
    width: options.width ?? 128,
    runs: options.runs ?? 5,
    budgetMs: options.budgetMs,
  });
  const limits = device.limits;
  const layers = timed.map((t) => {
    let chosen: ConvKernelName | undefined;
    for (const [name, ms] of Object.entries(t.ms) as [ConvKernelName, number][]) {
      if (convVariant(name).layerUnsupported(t.shape.k, Math.ceil(t.shape.cout / 4), limits)) continue;
      if (chosen === undefined || ms < t.ms[chosen]!) chosen = name;
    }
    return { shape: t.shape, timings: t.ms, flops: t.flops, chosen };
  });
  return { variants, layers };
}

/** The choice for an f32 executor made beside an f16 one (the f16 fallback): f16-math variants become their f32 sibling. */
export function forF32(choice: ConvKernelChoice): ConvKernelChoice {
  return (s) => {
    const name = choice(s);
    return convVariant(name).storage.includes('f32') ? name : 'gemm';
  };
}
