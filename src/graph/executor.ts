import { WgsrError } from '../errors.js';
import { createTensorBuffer } from '../kernels/buffers.js';
import { elementBytes, type ElementType } from '../kernels/element.js';
import { encodeCall, prepareCall, releaseCall, type PipelineCache, type PreparedCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';
import { BufferUsage, MapMode } from '../runtime/gpu-constants.js';
import { decodeToFloat32, float32ToFloat16Bits } from '../weights/dtypes.js';
import { fuseGraph } from './fuse.js';
import { pacerFor, type GpuPacer } from './gpu-pacing.js';
import type { Graph, ValueId } from './ir.js';
import { valueSize } from './ir.js';
import { allocateGraphWeights, lowerStep, type PackedWeights } from './lower.js';
import { planMemory, plannedBytes, type MemoryPlan } from './plan.js';

/** How many tile shapes keep their prepared dispatches (a tiled image has at most 9). */
const SHAPE_CACHE_SIZE = 12;

interface PreparedShape {
  readonly calls: readonly PreparedCall[];
  readonly input: TensorRef;
  readonly output: TensorRef;
}

/**
 * A run whose commands are on the GPU queue and whose output has not been read yet. Call exactly
 * one of its methods, once: either hands its read-back buffer back to the executor.
 */
export interface SubmittedRun {
  /** Waits for the GPU and returns the [outC, H·s, W·s] output; F16_OVERFLOW and DEVICE_LOST are thrown here. */
  collect(): Promise<Float32Array>;
  /** Waits for the GPU and drops the output (a run no longer wanted, after an error or an abort); fails for no GPU reason. */
  discard(): Promise<void>;
}

/** What the executor keeps about a submitted run. */
interface RunState {
  readonly staging: GPUBuffer;
  readonly readBack: ReadBackLayout;
  /** The staging buffer's mapAsync, called right after the submit so it settles when the GPU is done. */
  readonly mapped: Promise<void>;
  readonly height: number;
  readonly width: number;
  taken: boolean;
}

/**
 * Runs a graph on one device: weights uploaded once, pipelines compiled once, buffers from the
 * memory plan, and per tile shape one set of uniforms and bind groups, built on first use and
 * reused. A forward pass is one command encoder, one compute pass and one submit.
 *
 * Runs can be pipelined: `submit` queues a run (upload, dispatches, copy of the output into a
 * read-back buffer of its own, taken from a small pool) and returns without waiting for the
 * GPU; `collect` waits, reads back and returns the buffer to the pool. Tile N+1 may be
 * submitted before tile N is collected although both use the same activation buffers: the
 * queue executes N+1's writeBuffer and dispatches after N's submission, whose last command
 * copies N's output to N's own read-back buffer. Submits must not overlap (await each one).
 *
 * Activations are stored as f32 or f16 (`element`); inputs and outputs are f32 either way,
 * converted on the CPU. With f16, a run whose values left f16's range fails with F16_OVERFLOW
 * (the kernels set a flag; see kernels/element.ts) rather than returning a wrong result.
 */
export class GraphExecutor {
  /** Where each of the plan's buffers lives: a GPU buffer and an element offset in it. */
  private regions: { buffer: GPUBuffer; base: number }[] = [];
  /** f16 only: the flag the kernels set when a value does not fit. */
  private readonly overflowFlag: GPUBuffer | undefined;
  private capacity = { height: 0, width: 0 };
  private readonly shapes = new Map<string, PreparedShape>();
  private readonly staging: StagingPool;
  /** Settle markers of submitted runs whose GPU work is not known to be done yet. */
  private readonly working = new Set<Promise<void>>();
  /** Frees of GPU objects that working runs may still use; they run once the GPU is idle. */
  private readonly retired: (() => void)[] = [];
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly plan: MemoryPlan,
    private readonly weights: PackedWeights,
    readonly element: ElementType,
    /** When to ask for results without a core polling the whole time (undefined: plain mapAsync). */
    private readonly pacer: GpuPacer | undefined,
  ) {
    if (element === 'f16') this.overflowFlag = createTensorBuffer(device, 4, 'f16 overflow flag');
    this.staging = new StagingPool(device);
  }

  static async create(pipelines: PipelineCache, graph: Graph, element: ElementType = 'f32'): Promise<GraphExecutor> {
    if (element === 'f16' && !pipelines.device.features.has('shader-f16')) {
      throw new WgsrError('BAD_ARGUMENT', 'f16 activations need the shader-f16 feature, which this device was not created with');
    }
    const plan = planMemory(fuseGraph(graph));
    const weights = allocateGraphWeights(pipelines.device, plan.graph);
    const executor = new GraphExecutor(pipelines.device, pipelines, plan, weights.weights, element, await pacerFor(pipelines.device));
    lossOf(pipelines.device); // subscribe now, so a later loss is known when a call fails
    // Compile every pipeline now (in parallel), on the smallest valid input, and dispatch each
    // once before the weights are packed: see dispatchEachPipelineOnce.
    const unit = executor.sizeMultiple;
    dispatchEachPipelineOnce(pipelines.device, await executor.dispatches(unit, unit));
    weights.upload();
    return executor;
  }

  /** Input height and width must be multiples of this (pixel-unshuffle inside the network). */
  get sizeMultiple(): number {
    return this.plan.graph.values.reduce((m, v) => lcm(m, v.den), 1);
  }

  /**
   * Input sides that are multiples of this waste the least GPU work: how many input pixels one
   * workgroup of the network's widest-footprint conv covers (32 for 3×3 kernels with
   * subgroups). Workgroups reaching past the edge of a size that is not a multiple compute
   * partly for nothing (only subgroups wholly outside skip their work): on lavapipe a 48×48
   * input costs about 0.8 of what a 64×64 one does.
   */
  get tileAlignment(): number {
    let alignment = 1;
    for (const [node, { tile }] of this.weights.convs) {
      const out = this.plan.graph.values[node.output]!;
      const side = (Math.max(tile.wgX * tile.px, tile.wgY * tile.py) * out.den) / out.num;
      if (Number.isInteger(side)) alignment = Math.max(alignment, side);
    }
    return alignment;
  }

  get inChannels(): number {
    return this.plan.graph.values[this.plan.graph.input]!.channels;
  }

  get outChannels(): number {
    return this.plan.graph.values[this.plan.graph.output]!.channels;
  }

  /** Output size = input size · scale. */
  get scale(): number {
    const v = this.plan.graph.values[this.plan.graph.output]!;
    return v.num / v.den;
  }

  /** GPU bytes for an input of h×w: planned (with reuse) vs one buffer per value. */
  memory(height: number, width: number) {
    return plannedBytes(this.plan, height, width, elementBytes(this.element));
  }

  /** Allocates buffers for inputs up to h×w now, so that later tiles of that size allocate nothing. */
  reserve(height: number, width: number): void {
    this.ensureCapacity(height, width);
  }

  /**
   * Runs the network on a [C, H, W] input; returns the [outC, H·s, W·s] output: `submit` then
   * `collect`, nothing overlapped.
   */
  async run(input: Float32Array, height: number, width: number): Promise<Float32Array> {
    return (await this.submit(input, height, width)).collect();
  }

  /**
   * Queues a run on a [C, H, W] input and resolves once its commands are submitted, without
   * waiting for the GPU. A shape's first run happens inside an out-of-memory error scope: a
   * failed allocation frees the activations and throws GPU_OUT_OF_MEMORY, so the caller can
   * retry with a smaller tile. A lost device becomes DEVICE_LOST, whatever the failing call
   * reported.
   */
  async submit(input: Float32Array, height: number, width: number): Promise<SubmittedRun> {
    if (this.destroyed) throw new WgsrError('BAD_ARGUMENT', 'this model was destroyed');
    const expected = this.inChannels * height * width;
    if (input.length !== expected) {
      throw new WgsrError('BAD_ARGUMENT', `input has ${input.length} values; a ${this.inChannels}×${height}×${width} tensor has ${expected}`);
    }
    const run = await this.lossChecked(this.submitChecked(input, height, width));
    const take = () => {
      if (run.taken) throw new Error('a submitted run is collected or discarded once');
      run.taken = true;
    };
    return {
      collect: async () => {
        take();
        return this.lossChecked(this.collectChecked(run));
      },
      discard: async () => {
        take();
        return this.discardRun(run);
      },
    };
  }

  /**
   * The prepared dispatches of one input size, in order, one per plan step (for profiling:
   * the caller encodes them itself, e.g. each in a pass of its own with timestamp writes).
   */
  async dispatches(height: number, width: number): Promise<readonly PreparedCall[]> {
    return (await this.prepare(height, width)).calls;
  }

  /**
   * Frees the activation buffers, per-shape uniforms and idle read-back buffers (weights stay);
   * the next run allocates again. Runs still in flight keep what they use until the GPU is done
   * with them, and their read-back buffers are freed when they are collected.
   */
  releaseActivations(): void {
    this.dropActivations();
    this.staging.clear();
  }

  private async submitChecked(input: Float32Array, height: number, width: number): Promise<RunState> {
    const { device } = this;
    if (lossOf(device)) throw new Error('device lost before the run');
    // Allocations happen for a shape's first run and when a new read-back buffer is needed
    // (a run of the shape is still in flight); those are watched for out-of-memory.
    let scoped = !this.shapes.has(`${height}x${width}`);
    if (scoped) device.pushErrorScope('out-of-memory');
    let staging: GPUBuffer | undefined;
    let readBack: ReadBackLayout;
    let oom: GPUError | null = null;
    try {
      const shape = await this.prepare(height, width);
      this.upload(shape.input, input);
      readBack = readBackLayout(shape.output, this.element, this.overflowFlag !== undefined);
      if (!scoped && !this.staging.hasIdle(readBack.bytes)) {
        device.pushErrorScope('out-of-memory');
        scoped = true;
      }
      staging = this.staging.take(readBack.bytes);
      const encoder = device.createCommandEncoder();
      if (this.overflowFlag) encoder.clearBuffer(this.overflowFlag);
      const pass = encoder.beginComputePass();
      for (const call of shape.calls) encodeCall(pass, call);
      pass.end();
      encoder.copyBufferToBuffer(shape.output.buffer, readBack.sourceStart, staging, 0, readBack.tensorBytes);
      if (this.overflowFlag) encoder.copyBufferToBuffer(this.overflowFlag, 0, staging, readBack.flagAt, 4);
      device.queue.submit([encoder.finish()]);
    } catch (e) {
      if (staging) this.staging.give(staging);
      throw e;
    } finally {
      if (scoped) oom = await device.popErrorScope().catch(() => null);
    }
    const run = this.track(staging, readBack, height, width);
    if (oom) {
      // The run was submitted all the same: its buffers go once the GPU is done with it.
      void this.discardRun(run);
      this.releaseActivations();
      throw new WgsrError('GPU_OUT_OF_MEMORY', `the GPU ran out of memory for a ${width}×${height} tile (${oom.message}); use a smaller tile or --max-memory`);
    }
    return run;
  }

  /**
   * Maps a submitted run's read-back buffer without waiting for collect, so that the mapping
   * settles when the GPU is done, which also tells the executor when buffers the run uses may
   * be freed (paced: see gpu-pacing.ts). A failed mapping is reported by collect.
   */
  private track(staging: GPUBuffer, readBack: ReadBackLayout, height: number, width: number): RunState {
    const cancelled = () => (this.destroyed ? new Error('the model was destroyed before the run was read back') : undefined);
    const mapped = this.pacer
      ? this.pacer.map(`${height}x${width}`, staging, readBack.bytes, cancelled)
      : staging.mapAsync(MapMode.READ, 0, readBack.bytes);
    const settled: Promise<void> = mapped.then(
      () => this.settle(settled),
      () => this.settle(settled),
    );
    this.working.add(settled);
    return { staging, readBack, mapped, height, width, taken: false };
  }

  private async collectChecked(run: RunState): Promise<Float32Array> {
    const { readBack, staging, height, width } = run;
    try {
      await run.mapped.catch((e: unknown) => {
        throw this.destroyed ? new WgsrError('BAD_ARGUMENT', 'this model was destroyed while a tile was running', { cause: e }) : e;
      });
      const mapped = new Uint8Array(staging.getMappedRange(0, readBack.bytes));
      const overflowed = this.overflowFlag !== undefined && new Uint32Array(mapped.slice(readBack.flagAt, readBack.flagAt + 4).buffer)[0] !== 0;
      const values = mapped.subarray(readBack.skip, readBack.skip + readBack.count * elementBytes(this.element));
      const out = this.element === 'f16' ? decodeToFloat32(values, 'float16', readBack.count) : new Float32Array(values.slice().buffer);
      if (overflowed) {
        throw new WgsrError('F16_OVERFLOW', `an activation exceeded f16's range (±65504) on a ${width}×${height} input; run it in f32`);
      }
      return out;
    } finally {
      this.finish(run);
    }
  }

  private async discardRun(run: RunState): Promise<void> {
    await run.mapped.catch(() => undefined);
    this.finish(run);
  }

  /** A collected or discarded run: its read-back buffer goes back to the pool, unmapped. */
  private finish(run: RunState): void {
    if (run.staging.mapState === 'mapped') run.staging.unmap();
    this.staging.give(run.staging);
  }

  /** A run's GPU work is done (or failed): once none is left, retired objects are freed. */
  private settle(marker: Promise<void>): void {
    this.working.delete(marker);
    if (this.working.size === 0) this.freeRetired();
  }

  /** Frees now if no submitted work may use what `free` destroys, else once the GPU is idle. */
  private retire(free: () => void): void {
    this.retired.push(free);
    if (this.working.size === 0) this.freeRetired();
  }

  private freeRetired(): void {
    for (const free of this.retired.splice(0)) free();
  }

  /** Resolves when the GPU has finished every submitted run (their read-backs are mapped). */
  private async idle(): Promise<void> {
    while (this.working.size > 0) await Promise.all(this.working);
  }

  /** Translates any failure on a lost device into DEVICE_LOST. */
  private async lossChecked<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (e) {
      const lost = await deviceLoss(this.device);
      if (lost) throw new WgsrError('DEVICE_LOST', `the GPU device was lost (${lost.reason || 'unknown'}: ${lost.message || 'no details'})`, { cause: e });
      throw e;
    }
  }

  /** Writes the f32 input into its tensor, converted to the element type. */
  private upload(to: TensorRef, input: Float32Array): void {
    if (this.element === 'f32') {
      this.device.queue.writeBuffer(to.buffer, to.offset * 4, input.buffer, input.byteOffset, input.byteLength);
      return;
    }
    // writeBuffer takes whole 4-byte words: an odd start or length is padded with a zero
    // element. Nothing else in the buffer is live before the first dispatch of a run (the
    // input is the only value defined then, and the queue runs in order, so an earlier run
    // still in flight is done with it), so the padding overwrites nothing that is read.
    const lead = to.offset % 2;
    const halves = new Uint16Array(Math.ceil((lead + input.length) / 2) * 2);
    halves.set(float32ToFloat16Bits(input), lead);
    this.device.queue.writeBuffer(to.buffer, (to.offset - lead) * 2, halves.buffer, 0, halves.byteLength);
  }

  /**
   * Frees everything now, runs in flight included (a caller tearing the model down mid-image):
   * WebGPU keeps a destroyed buffer's memory until submitted work that uses it is done, and
   * their collect reports that the model was destroyed.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.dropActivations();
    this.freeRetired();
    this.staging.destroy();
    for (const b of this.weights.buffers) b.destroy();
    this.overflowFlag?.destroy();
  }

  private async prepare(height: number, width: number): Promise<PreparedShape> {
    const m = this.sizeMultiple;
    if (height % m || width % m || height <= 0 || width <= 0) {
      throw new WgsrError('BAD_ARGUMENT', `input size ${width}×${height} must be positive multiples of ${m} for this network`);
    }
    const key = `${height}x${width}`;
    const cached = this.shapes.get(key);
    if (cached) {
      // Refresh its place in the LRU order.
      this.shapes.delete(key);
      this.shapes.set(key, cached);
      return cached;
    }
    // A new shape may reallocate the activations or evict a cached shape, which runs in flight
    // still use: wait for the GPU first, so that they are freed at once rather than living
    // beside their replacements (a new shape comes a few times per image, not per tile).
    await this.idle();
    this.ensureCapacity(height, width);
    const ref = (id: ValueId): TensorRef => this.tensorRef(id, height, width);
    const limits = this.device.limits;
    const calls = await Promise.all(
      this.plan.steps.map((step) => prepareCall(this.pipelines, lowerStep(step, ref, this.weights, limits))),
    );
    const prepared = { calls, input: ref(this.plan.graph.input), output: ref(this.plan.graph.output) };
    this.shapes.set(key, prepared);
    if (this.shapes.size > SHAPE_CACHE_SIZE) {
      const [oldest, old] = this.shapes.entries().next().value as [string, PreparedShape];
      this.shapes.delete(oldest);
      this.retire(() => old.calls.forEach(releaseCall));
    }
    return prepared;
  }

  private tensorRef(id: ValueId, height: number, width: number): TensorRef {
    const v = this.plan.graph.values[id]!;
    const p = this.plan.placements.get(id)!;
    const s = this.plan.storages[p.storage]!;
    const size = valueSize(v, height, width);
    const half = this.overflowFlag && { overflow: this.overflowFlag };
    const region = this.regions[s.buffer]!;
    return { buffer: region.buffer, offset: region.base + p.channelOffset * size.height * size.width, channels: v.channels, ...size, ...(half && { half }) };
  }

  private ensureCapacity(height: number, width: number): void {
    if (height <= this.capacity.height && width <= this.capacity.width) return;
    const h = Math.max(height, this.capacity.height);
    const w = Math.max(width, this.capacity.width);
    this.dropActivations();
    const limits = this.device.limits;
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const bytes = elementBytes(this.element);
    const sizes = this.plan.bufferWeights.map((weight) => Math.ceil(weight * h * w));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total * bytes <= limit) {
      // One buffer for all activations: every kernel then binds one buffer for all its
      // tensors, so each kernel variant has one binding layout and one pipeline (a CPU adapter
      // compiles each pipeline for seconds; see conv2d-wgsl.ts).
      const buffer = createTensorBuffer(this.device, total * bytes, 'activations');
      let base = 0;
      this.regions = sizes.map((size) => ({ buffer, base: (base += size) - size }));
    } else {
      // Checked before any allocation, so that a refusal leaves no buffer behind.
      const largest = Math.max(...sizes) * bytes;
      if (largest > limit) {
        throw new WgsrError(
          'GPU_OUT_OF_MEMORY',
          `a ${w}×${h} tile needs a ${largest}-byte buffer but this adapter binds at most ${limit} bytes; use a smaller tile`,
        );
      }
      this.regions = sizes.map((size, i) => ({ buffer: createTensorBuffer(this.device, size * bytes, `activations ${i}`), base: 0 }));
    }
    this.capacity = { height: h, width: w };
  }

  /** Detaches the activation buffers and prepared shapes, and frees them once no run uses them. */
  private dropActivations(): void {
    const shapes = [...this.shapes.values()];
    const buffers = new Set(this.regions.map((r) => r.buffer));
    this.shapes.clear();
    this.regions = [];
    this.capacity = { height: 0, width: 0 };
    this.retire(() => {
      for (const s of shapes) s.calls.forEach(releaseCall);
      for (const b of buffers) b.destroy();
    });
  }
}

/**
 * Read-back buffers: each run in flight holds one of its own, and collected runs give theirs
 * back for the next. An idle buffer too small for a run is replaced rather than kept, so the
 * pool never holds more buffers than runs were ever in flight at once.
 */
class StagingPool {
  private idle: GPUBuffer[] = [];
  /** Buffers held by runs in flight. */
  private held = new Set<GPUBuffer>();
  /** Buffers held by runs in flight when the pool was cleared: destroyed when given back. */
  private readonly orphaned = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /** Whether take(bytes) can reuse a buffer rather than create one. */
  hasIdle(bytes: number): boolean {
    return this.idle.some((b) => b.size >= bytes);
  }

  take(bytes: number): GPUBuffer {
    const fit = this.idle.findIndex((b) => b.size >= bytes);
    let buffer: GPUBuffer;
    if (fit >= 0) {
      buffer = this.idle.splice(fit, 1)[0]!;
    } else {
      this.idle.pop()?.destroy();
      buffer = this.device.createBuffer({ label: 'read-back', size: Math.ceil(bytes / 16) * 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    }
    this.held.add(buffer);
    return buffer;
  }

  give(buffer: GPUBuffer): void {
    if (this.held.delete(buffer)) this.idle.push(buffer);
    else if (this.orphaned.delete(buffer)) buffer.destroy();
  }

  /** Frees the idle buffers; held ones are freed when given back. */
  clear(): void {
    for (const b of this.idle) b.destroy();
    this.idle = [];
    for (const b of this.held) this.orphaned.add(b);
    this.held = new Set();
  }

  /** Frees every buffer now, held ones included (their pending mappings fail). */
  destroy(): void {
    this.clear();
    for (const b of this.orphaned) b.destroy();
    this.orphaned.clear();
  }
}

/**
 * Where the output (and the overflow flag) land in the read-back buffer. Copies move whole
 * 4-byte words, so an f16 output at an odd element is copied from the word before it and
 * `skip` bytes are dropped.
 */
interface ReadBackLayout {
  readonly sourceStart: number;
  readonly skip: number;
  readonly count: number;
  readonly tensorBytes: number;
  readonly flagAt: number;
  /** Bytes to map. */
  readonly bytes: number;
}

function readBackLayout(output: TensorRef, element: ElementType, withFlag: boolean): ReadBackLayout {
  const size = elementBytes(element);
  const start = output.offset * size;
  const sourceStart = start - (start % 4);
  const skip = start - sourceStart;
  const count = output.channels * output.height * output.width;
  const tensorBytes = Math.ceil((skip + count * size) / 4) * 4;
  return { sourceStart, skip, count, tensorBytes, flagAt: tensorBytes, bytes: tensorBytes + (withFlag ? 4 : 0) };
}

/**
 * What is known about each device's loss, from one subscription per device (not one per
 * executor, which would keep every executor alive as long as the device).
 */
const losses = new WeakMap<GPUDevice, { info?: GPUDeviceLostInfo }>();

function lossOf(device: GPUDevice): GPUDeviceLostInfo | undefined {
  let state = losses.get(device);
  if (!state) {
    const s: { info?: GPUDeviceLostInfo } = {};
    losses.set(device, s);
    device.lost.then((info) => (s.info = info), () => undefined);
    state = s;
  }
  return state.info;
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
function dispatchEachPipelineOnce(device: GPUDevice, calls: readonly PreparedCall[]): void {
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

/** The loss info after a failure: implementations may reject a call a moment before `lost` settles. */
async function deviceLoss(device: GPUDevice): Promise<GPUDeviceLostInfo | undefined> {
  for (let i = 0; i < 3 && !lossOf(device); i++) await new Promise((r) => setTimeout(r, 0));
  return lossOf(device);
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}
