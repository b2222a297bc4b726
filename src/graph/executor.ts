import { WgsrError } from '../errors.js';
import { createTensorBuffer, elementBytes, writeElements, type ElementType } from '../gpu/buffers.js';
import { MapMode } from '../gpu/constants.js';
import { InFlight } from '../gpu/in-flight.js';
import { deviceLoss, lossChecked } from '../gpu/loss.js';
import { pacerFor, type GpuPacer } from '../gpu/pacing.js';
import { decodeReadBack, encodeReadBack, readBackLayout, type ReadBackLayout } from '../gpu/read-back.js';
import { allocateRegions, type Region } from '../gpu/regions.js';
import { StagingPool } from '../gpu/staging.js';
import { dispatchEachPipelineOnce, encodeCall, prepareCall, releaseCall, type PipelineCache, type PreparedCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';
import { foldBatchNorms } from './fold-batch-norm.js';
import { fuseGraph } from './fuse.js';
import type { Graph, ValueId } from './ir.js';
import { valueSize } from './ir.js';
import { lowerStep } from './lower.js';
import type { ConvKernelChoice } from '../kernels/conv2d-variants.js';
import { lcm } from './rational.js';
import { allocateGraphWeights, type PackedWeights } from './weights.js';
import { planMemory, plannedBytes, type MemoryPlan } from './plan.js';
import { allocateTtaBuffers, encodeTta, prepareTta, releaseTta, ttaBytesPerPixel, type PreparedTta, type TtaBuffers } from './tta.js';

/**
 * How many tile shapes keep their prepared dispatches: a tiled image has at most 9, and with
 * test-time augmentation each non-square one also runs transposed.
 */
const SHAPE_CACHE_SIZE = 24;

/** How one run is done. */
export interface RunOptions {
  /** Test-time augmentation: the mean of the network over the eight flips and rotations of the input (see tta.ts). */
  readonly tta?: boolean;
}

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
  /** The staging buffer's mapping, asked for right after the submit so it settles when the GPU is done. */
  readonly mapped: Promise<void>;
  readonly height: number;
  readonly width: number;
  taken: boolean;
}

/** A run ready to encode: where its input is uploaded, its dispatches, and the tensor read back. */
interface EncodedRun {
  readonly key: string;
  readonly input: TensorRef;
  readonly output: TensorRef;
  encode(pass: GPUComputePassEncoder): void;
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
  private regions: Region[] = [];
  /** f16 only: the flag the kernels set when a value does not fit. */
  private readonly overflowFlag: GPUBuffer | undefined;
  /** Input pixels the activation buffers hold (every storage's size is proportional to the tile's area). */
  private capacity = 0;
  private readonly shapes = new Map<string, PreparedShape>();
  /** TTA's source and accumulator, and its prepared runs per input size. */
  private tta: { buffers?: TtaBuffers; runs: Map<string, PreparedTta> } = { runs: new Map() };
  private readonly staging: StagingPool;
  /** Submitted runs, and frees that wait for them. */
  private readonly inFlight = new InFlight();
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly plan: MemoryPlan,
    private readonly weights: PackedWeights,
    readonly element: ElementType,
    /** When to ask for results without a core polling the whole time (undefined: plain mapAsync). */
    private readonly pacer: GpuPacer | undefined,
    /** Which conv kernel computes each conv shape (default: the register tile). */
    readonly kernels: ConvKernelChoice | undefined,
  ) {
    if (element === 'f16') this.overflowFlag = createTensorBuffer(device, 4, 'f16 overflow flag');
    this.staging = new StagingPool(device);
  }

  static async create(pipelines: PipelineCache, graph: Graph, element: ElementType = 'f32', kernels?: ConvKernelChoice): Promise<GraphExecutor> {
    if (element === 'f16' && !pipelines.device.features.has('shader-f16')) {
      throw new WgsrError('BAD_ARGUMENT', 'f16 activations need the shader-f16 feature, which this device was not created with');
    }
    const plan = planMemory(fuseGraph(foldBatchNorms(graph)));
    const weights = allocateGraphWeights(pipelines.device, plan.graph);
    const executor = new GraphExecutor(pipelines.device, pipelines, plan, weights.weights, element, await pacerFor(pipelines.device), kernels);
    deviceLoss(pipelines.device); // subscribe now, so a later loss is known when a call fails
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

  /** What a TTA run needs per input pixel beside memory(): its source and accumulator, in bytes. */
  get ttaBytesPerPixel(): { total: number; largest: number } {
    return ttaBytesPerPixel(this.inChannels, this.outChannels, this.scale, this.element);
  }

  /**
   * Runs the network on a [C, H, W] input; returns the [outC, H·s, W·s] output: `submit` then
   * `collect`, nothing overlapped.
   */
  async run(input: Float32Array, height: number, width: number, options: RunOptions = {}): Promise<Float32Array> {
    return (await this.submit(input, height, width, options)).collect();
  }

  /**
   * Queues a run on a [C, H, W] input and resolves once its commands are submitted, without
   * waiting for the GPU. A shape's first run happens inside an out-of-memory error scope: a
   * failed allocation frees the activations and throws GPU_OUT_OF_MEMORY, so the caller can
   * retry with a smaller tile. A lost device becomes DEVICE_LOST, whatever the failing call
   * reported.
   */
  async submit(input: Float32Array, height: number, width: number, options: RunOptions = {}): Promise<SubmittedRun> {
    if (this.destroyed) throw new WgsrError('BAD_ARGUMENT', 'this model was destroyed');
    const expected = this.inChannels * height * width;
    if (input.length !== expected) {
      throw new WgsrError('BAD_ARGUMENT', `input has ${input.length} values; a ${this.inChannels}×${height}×${width} tensor has ${expected}`);
    }
    const run = await lossChecked(this.device, this.submitChecked(input, height, width, options.tta === true));
    const take = () => {
      if (run.taken) throw new Error('a submitted run is collected or discarded once');
      run.taken = true;
    };
    return {
      collect: async () => {
        take();
        return lossChecked(this.device, this.collectChecked(run));
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

  private async submitChecked(input: Float32Array, height: number, width: number, tta: boolean): Promise<RunState> {
    const { device } = this;
    if (deviceLoss(device)) throw new Error('device lost before the run');
    // Allocations happen for a shape's first run and when a new read-back buffer is needed
    // (a run of the shape is still in flight); those are watched for out-of-memory.
    const shape = `${height}x${width}`;
    const key = tta ? `${shape} tta` : shape;
    let scoped = !(tta ? this.tta.runs.has(shape) : this.shapes.has(shape));
    if (scoped) device.pushErrorScope('out-of-memory');
    let staging: GPUBuffer | undefined;
    let readBack: ReadBackLayout;
    let oom: GPUError | null = null;
    try {
      const run = tta ? await this.prepareTtaRun(height, width) : await this.prepareRun(height, width);
      const out = run.output;
      writeElements(device, run.input.buffer, run.input.offset, input, this.element);
      readBack = readBackLayout(out.offset, out.channels * out.height * out.width, out.half ? 'f16' : 'f32', this.overflowFlag !== undefined);
      if (!scoped && !this.staging.hasIdle(readBack.bytes)) {
        device.pushErrorScope('out-of-memory');
        scoped = true;
      }
      staging = this.staging.take(readBack.bytes);
      const encoder = device.createCommandEncoder();
      if (this.overflowFlag) encoder.clearBuffer(this.overflowFlag);
      const pass = encoder.beginComputePass();
      run.encode(pass);
      pass.end();
      encodeReadBack(encoder, readBack, out.buffer, staging, this.overflowFlag);
      device.queue.submit([encoder.finish()]);
    } catch (e) {
      if (staging) this.staging.give(staging);
      throw e;
    } finally {
      if (scoped) oom = await device.popErrorScope().catch(() => null);
    }
    const run = this.track(staging, readBack, height, width, key);
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
   * be freed (paced: see gpu/pacing.ts). A failed mapping is reported by collect.
   */
  private track(staging: GPUBuffer, readBack: ReadBackLayout, height: number, width: number, key: string): RunState {
    const cancelled = () => (this.destroyed ? new Error('the model was destroyed before the run was read back') : undefined);
    const mapped = this.pacer
      ? this.pacer.map(key, staging, readBack.bytes, cancelled)
      : staging.mapAsync(MapMode.READ, 0, readBack.bytes);
    this.inFlight.add(mapped);
    return { staging, readBack, mapped, height, width, taken: false };
  }

  private async collectChecked(run: RunState): Promise<Float32Array> {
    const { height, width } = run;
    try {
      await run.mapped.catch((e: unknown) => {
        throw this.destroyed ? new WgsrError('BAD_ARGUMENT', 'this model was destroyed while a tile was running', { cause: e }) : e;
      });
      const { values, flag } = decodeReadBack(run.staging, run.readBack);
      if (flag !== 0) {
        throw new WgsrError('F16_OVERFLOW', `an activation exceeded f16's range (±65504) on a ${width}×${height} input; run it in f32`);
      }
      return values;
    } finally {
      this.staging.give(run.staging);
    }
  }

  private async discardRun(run: RunState): Promise<void> {
    await run.mapped.catch(() => undefined);
    this.staging.give(run.staging);
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
    this.inFlight.freeRetired();
    this.staging.destroy();
    for (const b of this.weights.buffers) b.destroy();
    this.overflowFlag?.destroy();
  }

  /** A plain run: the graph's input and output, its dispatches. */
  private async prepareRun(height: number, width: number): Promise<EncodedRun> {
    const shape = await this.prepare(height, width);
    return { key: `${height}x${width}`, input: shape.input, output: shape.output, encode: (pass) => shape.calls.forEach((c) => encodeCall(pass, c)) };
  }

  /**
   * A TTA run (tta.ts), prepared once per input size. Both orientations of the graph are
   * prepared (refreshing their place in the shape cache) first; a prepared TTA run whose graph
   * shapes were evicted or rebuilt since is prepared again.
   */
  private async prepareTtaRun(height: number, width: number): Promise<EncodedRun> {
    const key = `${height}x${width}`;
    const straight = await this.prepare(height, width);
    const turned = height === width ? straight : await this.prepare(width, height);
    let run = this.tta.runs.get(key);
    if (run && !run.steps.every((s) => s.graph === straight || s.graph === turned)) {
      const stale = run;
      this.tta.runs.delete(key);
      this.inFlight.retire(() => releaseTta(stale));
      run = undefined;
    }
    if (!run) {
      if (!this.tta.buffers || this.tta.buffers.pixels < height * width) {
        const old = this.tta.buffers;
        if (old) this.inFlight.retire(() => [old.source, old.acc].forEach((b) => b.destroy()));
        this.dropTtaRuns();
        this.tta.buffers = allocateTtaBuffers(this.device, this.capacity, this.inChannels, this.outChannels, this.scale, this.element);
      }
      const half = this.overflowFlag && { overflow: this.overflowFlag };
      run = await prepareTta(this.pipelines, this.tta.buffers, height, width, half, { straight, turned }, this.device.limits);
      this.tta.runs.set(key, run);
    }
    const prepared = run;
    return { key: `${key} tta`, input: prepared.source, output: prepared.acc, encode: (pass) => encodeTta(pass, prepared) };
  }

  /** Forgets the prepared TTA runs, freeing their uniforms once no run uses them. */
  private dropTtaRuns(): void {
    const runs = [...this.tta.runs.values()];
    this.tta.runs.clear();
    this.inFlight.retire(() => runs.forEach(releaseTta));
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
    await this.inFlight.idle();
    this.ensureCapacity(height, width);
    const ref = (id: ValueId): TensorRef => this.tensorRef(id, height, width);
    const limits = this.device.limits;
    const calls = await Promise.all(
      this.plan.steps.map((step) => prepareCall(this.pipelines, lowerStep(step, ref, this.weights, limits, this.kernels))),
    );
    const prepared = { calls, input: ref(this.plan.graph.input), output: ref(this.plan.graph.output) };
    this.shapes.set(key, prepared);
    if (this.shapes.size > SHAPE_CACHE_SIZE) {
      const [oldest, old] = this.shapes.entries().next().value as [string, PreparedShape];
      this.shapes.delete(oldest);
      this.inFlight.retire(() => old.calls.forEach(releaseCall));
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

  /**
   * Buffers for an input of h×w pixels. They are sized by area, so an h×w and a w×h input (a
   * tile and its transpose) share them.
   */
  private ensureCapacity(height: number, width: number): void {
    if (height * width <= this.capacity) return;
    this.dropActivations();
    const sizes = this.plan.bufferSizes.map((perPixel) => Math.ceil(perPixel * height * width));
    this.regions = allocateRegions(this.device, sizes, this.element, `a ${width}×${height} tile`);
    this.capacity = height * width;
  }


  /** Detaches the activation buffers and prepared shapes, and frees them once no run uses them. */
  private dropActivations(): void {
    const shapes = [...this.shapes.values()];
    const buffers = new Set(this.regions.map((r) => r.buffer));
    const tta = this.tta.buffers;
    if (tta) buffers.add(tta.source).add(tta.acc);
    this.dropTtaRuns();
    this.tta.buffers = undefined;
    this.shapes.clear();
    this.regions = [];
    this.capacity = 0;
    this.inFlight.retire(() => {
      for (const s of shapes) s.calls.forEach(releaseCall);
      for (const b of buffers) b.destroy();
    });
  }
}
