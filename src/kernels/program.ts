import { BufferUsage } from '../gpu/constants.js';
import type { UniformField, UniformStruct } from './uniforms.js';

/**
 * The contract between kernels and whoever runs them (the graph executor, tests, benches).
 *
 * A kernel file is a pure function from a description to a KernelCall: shader text for one
 * variant, the buffers to bind, the packed uniforms and the dispatch size. Binding convention:
 * `@group(0) @binding(i)` for the storage buffers in `storage` order, then the uniform struct
 * at the next binding (when the kernel has one).
 *
 * Activation tensors are always bound `read_write` (even when only read): WebGPU forbids binding
 * one buffer as read-only and writable storage in the same dispatch, and the dense blocks need
 * exactly that (a conv reads a channel prefix of a buffer and writes a later slice of it).
 * Weights are `read-only-storage`.
 */
export type BindingKind = 'storage' | 'read-only-storage';

/** One storage binding: the name the shader uses, its WGSL type, and how it is bound. */
export interface StorageBinding {
  readonly name: string;
  /** `array<elem>`, `array<vec4f>`, `atomic<u32>`, … */
  readonly type: string;
  readonly kind: BindingKind;
}

/**
 * A kernel variant as data: its bindings and uniform struct are declared here, once, and the
 * WGSL declarations are generated from them, so the binding order the launcher fills and the
 * one the shader reads cannot drift apart.
 */
export interface KernelSource {
  /** Cache key: everything that changes the shader text. Shapes are uniforms, never in here. */
  readonly key: string;
  /** `enable` and `diagnostic` directives, which WGSL wants before any declaration. */
  readonly directives?: string;
  /** Storage buffers, bound at 0, 1, … in this order. */
  readonly storage: readonly StorageBinding[];
  /** The uniform struct, bound as `u` right after the storage buffers. */
  readonly uniforms?: UniformStruct<readonly UniformField[]>;
  /** Everything else: aliases, helper functions and the `main` entry point. */
  readonly body: string;
}

export interface KernelVariant {
  readonly key: string;
  /** The whole WGSL module, generated from `source`. */
  readonly code: string;
  readonly bindings: readonly BindingKind[];
  readonly hasUniforms: boolean;
  readonly source: KernelSource;
}

const ACCESS: Record<BindingKind, string> = { storage: 'read_write', 'read-only-storage': 'read' };

export function defineKernel(source: KernelSource): KernelVariant {
  const { storage, uniforms } = source;
  const declarations = storage.map((b, i) => `@group(0) @binding(${i}) var<storage, ${ACCESS[b.kind]}> ${b.name}: ${b.type};`);
  if (uniforms) declarations.push(`@group(0) @binding(${storage.length}) var<uniform> u: ${uniforms.name};`);
  const code = [source.directives ?? '', uniforms ? uniforms.wgsl() : '', declarations.join('\n'), source.body].filter(Boolean).join('\n');
  return { key: source.key, code, bindings: storage.map((b) => b.kind), hasUniforms: uniforms !== undefined, source };
}

export interface KernelCall {
  readonly variant: KernelVariant;
  readonly storage: readonly GPUBuffer[];
  readonly uniforms?: ArrayBuffer;
  readonly workgroups: readonly [number, number, number];
  readonly label?: string;
}

/** Compiles each variant once; shares pipelines and layouts between every caller on a device. */
export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(readonly device: GPUDevice) {}

  get(variant: KernelVariant): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(variant.key);
    if (!p) {
      p = this.compile(variant);
      this.pipelines.set(variant.key, p);
    }
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private async compile(variant: KernelVariant): Promise<GPUComputePipeline> {
    const { device } = this;
    const entries: GPUBindGroupLayoutEntry[] = variant.bindings.map((type, binding) => ({
      binding,
      visibility: 4 /* GPUShaderStage.COMPUTE */,
      buffer: { type },
    }));
    if (variant.hasUniforms) {
      entries.push({ binding: entries.length, visibility: 4, buffer: { type: 'uniform' } });
    }
    const bindGroupLayout = device.createBindGroupLayout({ label: variant.key, entries });
    const layout = device.createPipelineLayout({ label: variant.key, bindGroupLayouts: [bindGroupLayout] });
    const module = device.createShaderModule({ label: variant.key, code: variant.code });
    device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({ label: variant.key, layout, compute: { module, entryPoint: 'main' } });
    } catch (e) {
      await device.popErrorScope();
      throw new Error(`kernel ${variant.key} failed to compile: ${await compileMessages(module, e)}`);
    }
    const error = await device.popErrorScope();
    if (error) throw new Error(`kernel ${variant.key} failed to compile: ${error.message}`);
    return pipeline;
  }
}

async function compileMessages(module: GPUShaderModule, e: unknown): Promise<string> {
  try {
    const info = await module.getCompilationInfo();
    const lines = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
    if (lines.length) return lines.join('; ');
  } catch {
    // getCompilationInfo is optional in some implementations.
  }
  return e instanceof Error ? e.message : String(e);
}

/** A call with its pipeline, bind group and uniform buffer built: encoding it creates nothing. */
export interface PreparedCall {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly uniformBuffer?: GPUBuffer;
  readonly workgroups: readonly [number, number, number];
  readonly label?: string;
}

export async function prepareCall(cache: PipelineCache, logicalCall: KernelCall): Promise<PreparedCall> {
  const { device } = cache;
  const call = shareRepeatedBuffers(logicalCall);
  const pipeline = await cache.get(call.variant);
  if (call.storage.length !== call.variant.bindings.length) {
    throw new Error(`kernel ${call.variant.key}: ${call.storage.length} buffers for ${call.variant.bindings.length} bindings`);
  }
  const entries: GPUBindGroupEntry[] = call.storage.map((buffer, binding) => ({ binding, resource: { buffer } }));
  let uniformBuffer: GPUBuffer | undefined;
  if (call.variant.hasUniforms) {
    if (!call.uniforms) throw new Error(`kernel ${call.variant.key} needs uniforms`);
    uniformBuffer = device.createBuffer({
      label: `${call.label ?? call.variant.key} uniforms`,
      size: call.uniforms.byteLength,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(uniformBuffer, 0, call.uniforms);
    entries.push({ binding: entries.length, resource: { buffer: uniformBuffer } });
  }
  const bindGroup = device.createBindGroup({ label: call.label, layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup, uniformBuffer, workgroups: call.workgroups, label: call.label };
}

export function encodeCall(pass: GPUComputePassEncoder, prepared: PreparedCall): void {
  const [x, y, z] = prepared.workgroups;
  if (x === 0 || y === 0 || z === 0) return;
  pass.setPipeline(prepared.pipeline);
  pass.setBindGroup(0, prepared.bindGroup);
  pass.dispatchWorkgroups(x, y, z);
}

export function releaseCall(prepared: PreparedCall): void {
  prepared.uniformBuffer?.destroy();
}

/**
 * Queues one workgroup of each distinct pipeline among `calls`, without waiting. Adapters that
 * compile shader code at its first dispatch (lavapipe JIT-compiles a conv variant for 2–3 s)
 * then start while the CPU goes on (packing the weights, decoding an image, encoding the first
 * run) instead of when the first run reaches them: on lavapipe a cold 32×32 RRDBNet run ends
 * ~0.6 s sooner. One workgroup per pipeline, not a run on a tiny input, which would be at
 * least a workgroup of 32×32 output pixels for every conv of the network (351 for x4plus).
 * What they compute is overwritten before anything reads it.
 */
export function dispatchEachPipelineOnce(device: GPUDevice, calls: readonly PreparedCall[]): void {
  const dispatched = new Set<GPUComputePipeline>();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (const call of calls) {
    if (dispatched.has(call.pipeline) || call.workgroups.includes(0)) continue;
    dispatched.add(call.pipeline);
    encodeCall(pass, { ...call, workgroups: [1, 1, 1] });
  }
  pass.end();
  device.queue.submit([encoder.finish()]);
}


const sharedVariants = new Map<string, KernelVariant>();

/**
 * WebGPU rejects a dispatch that binds one buffer to two writable bindings with overlapping
 * ranges, yet a dense block's conv reads a channel prefix of the very buffer it writes a slice
 * of (and its residual is another slice of it). Kernels are written with one binding per
 * tensor; when tensors share a buffer, this makes the variant in which they share one
 * binding: the later binding is dropped, the shader uses the earlier one's name for it, and
 * the declarations are generated again (so the bindings after it are renumbered). Offsets are
 * already uniforms, so nothing else changes. The variant is cached under a key that records
 * which bindings were merged.
 */
export function shareRepeatedBuffers(call: KernelCall): KernelCall {
  const firstUse = call.storage.map((b) => call.storage.indexOf(b));
  if (firstUse.every((f, i) => f === i)) return call;
  const key = `${call.variant.key} share[${firstUse.join(',')}]`;
  let variant = sharedVariants.get(key);
  if (!variant) {
    variant = mergeBindings(call.variant, firstUse, key);
    sharedVariants.set(key, variant);
  }
  return { ...call, variant, storage: call.storage.filter((_, i) => firstUse[i] === i) };
}

/** The variant with binding b dropped wherever firstUse[b] < b, the shader using binding firstUse[b]'s name for it. */
function mergeBindings(variant: KernelVariant, firstUse: readonly number[], key: string): KernelVariant {
  const { storage } = variant.source;
  let body = variant.source.body;
  firstUse.forEach((into, b) => {
    if (into === b) return;
    const from = storage[b]!;
    const to = storage[into]!;
    if (from.kind !== 'storage' || to.kind !== 'storage' || from.type !== to.type) {
      throw new Error(`${variant.key}: bindings ${into} and ${b} get the same buffer but cannot share a binding (both must be read_write ${to.type})`);
    }
    body = body.replace(new RegExp(`\\b${from.name}\\b`, 'g'), to.name);
  });
  return defineKernel({ ...variant.source, key, storage: storage.filter((_, i) => firstUse[i] === i), body });
}
