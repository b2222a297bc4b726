import { WgsrError } from '../errors.js';
import { createTensorBuffer } from '../kernels/buffers.js';
import { elementBytes, type ElementType } from '../kernels/element.js';
import { encodeCall, prepareCall, releaseCall, type PipelineCache, type PreparedCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';
import { BufferUsage, MapMode } from '../runtime/gpu-constants.js';
import { decodeToFloat32, float32ToFloat16Bits } from '../weights/dtypes.js';
import { fuseGraph } from './fuse.js';
import type { Graph, ValueId } from './ir.js';
import { valueSize } from './ir.js';
import { lowerStep, packGraphWeights, type PackedWeights } from './lower.js';
import { planMemory, plannedBytes, type MemoryPlan } from './plan.js';

/** How many tile shapes keep their prepared dispatches (a tiled image has at most 9). */
const SHAPE_CACHE_SIZE = 12;

interface PreparedShape {
  readonly calls: readonly PreparedCall[];
  readonly input: TensorRef;
  readonly output: TensorRef;
}

/**
 * Runs a graph on one device: weights uploaded once, pipelines compiled once, buffers from the
 * memory plan, and per tile shape one set of uniforms and bind groups, built on first use and
 * reused. A forward pass is one command encoder, one compute pass and one submit.
 *
 * Activations are stored as f32 or f16 (`element`); inputs and outputs are f32 either way,
 * converted on the CPU. With f16, a run whose values left f16's range fails with F16_OVERFLOW
 * (the kernels set a flag; see kernels/element.ts) rather than returning a wrong result.
 */
export class GraphExecutor {
  private buffers: GPUBuffer[] = [];
  /** f16 only: the flag the kernels set when a value does not fit. */
  private readonly overflowFlag: GPUBuffer | undefined;
  private capacity = { height: 0, width: 0 };
  private readonly shapes = new Map<string, PreparedShape>();
  private staging: GPUBuffer | undefined;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly plan: MemoryPlan,
    private readonly weights: PackedWeights,
    readonly element: ElementType,
  ) {
    if (element === 'f16') this.overflowFlag = createTensorBuffer(device, 4, 'f16 overflow flag');
  }

  static async create(pipelines: PipelineCache, graph: Graph, element: ElementType = 'f32'): Promise<GraphExecutor> {
    if (element === 'f16' && !pipelines.device.features.has('shader-f16')) {
      throw new WgsrError('BAD_ARGUMENT', 'f16 activations need the shader-f16 feature, which this device was not created with');
    }
    const plan = planMemory(fuseGraph(graph));
    const weights = packGraphWeights(pipelines.device, plan.graph);
    const executor = new GraphExecutor(pipelines.device, pipelines, plan, weights, element);
    lossOf(pipelines.device); // subscribe now, so a later loss is known when a call fails
    // Compile every pipeline now (in parallel), on the smallest valid input.
    const unit = executor.sizeMultiple;
    await executor.prepare(unit, unit);
    return executor;
  }

  /** Input height and width must be multiples of this (pixel-unshuffle inside the network). */
  get sizeMultiple(): number {
    return this.plan.graph.values.reduce((m, v) => lcm(m, v.den), 1);
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
   * Runs the network on a [C, H, W] input; returns the [outC, H·s, W·s] output. A shape's first
   * run happens inside an out-of-memory error scope: a failed allocation frees the activations
   * and throws GPU_OUT_OF_MEMORY, so the caller can retry with a smaller tile. A lost device
   * becomes DEVICE_LOST, whatever the failing call reported.
   */
  async run(input: Float32Array, height: number, width: number): Promise<Float32Array> {
    if (this.destroyed) throw new WgsrError('BAD_ARGUMENT', 'this model was destroyed');
    const expected = this.inChannels * height * width;
    if (input.length !== expected) {
      throw new WgsrError('BAD_ARGUMENT', `input has ${input.length} values; a ${this.inChannels}×${height}×${width} tensor has ${expected}`);
    }
    try {
      return await this.runChecked(input, height, width);
    } catch (e) {
      const lost = await deviceLoss(this.device);
      if (lost) throw new WgsrError('DEVICE_LOST', `the GPU device was lost (${lost.reason || 'unknown'}: ${lost.message || 'no details'})`, { cause: e });
      throw e;
    }
  }

  /**
   * The prepared dispatches of one input size, in order, one per plan step (for profiling:
   * the caller encodes them itself, e.g. each in a pass of its own with timestamp writes).
   */
  async dispatches(height: number, width: number): Promise<readonly PreparedCall[]> {
    return (await this.prepare(height, width)).calls;
  }

  /** Frees the activation buffers and per-shape uniforms (weights stay); the next run allocates again. */
  releaseActivations(): void {
    this.dropShapes();
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
    this.capacity = { height: 0, width: 0 };
    this.staging?.destroy();
    this.staging = undefined;
  }

  private async runChecked(input: Float32Array, height: number, width: number): Promise<Float32Array> {
    const { device } = this;
    if (lossOf(device)) throw new Error('device lost before the run');
    const fresh = !this.shapes.has(`${height}x${width}`);
    if (fresh) device.pushErrorScope('out-of-memory');
    let shape: PreparedShape;
    let staging: GPUBuffer;
    let readBack: ReadBackLayout;
    let oom: GPUError | null = null;
    try {
      shape = await this.prepare(height, width);
      this.upload(shape.input, input);
      readBack = readBackLayout(shape.output, this.element, this.overflowFlag !== undefined);
      staging = this.stagingBuffer(readBack.bytes);
      const encoder = device.createCommandEncoder();
      if (this.overflowFlag) encoder.clearBuffer(this.overflowFlag);
      const pass = encoder.beginComputePass();
      for (const call of shape.calls) encodeCall(pass, call);
      pass.end();
      encoder.copyBufferToBuffer(shape.output.buffer, readBack.sourceStart, staging, 0, readBack.tensorBytes);
      if (this.overflowFlag) encoder.copyBufferToBuffer(this.overflowFlag, 0, staging, readBack.flagAt, 4);
      device.queue.submit([encoder.finish()]);
    } finally {
      if (fresh) oom = await device.popErrorScope().catch(() => null);
    }
    if (oom) {
      this.releaseActivations();
      throw new WgsrError('GPU_OUT_OF_MEMORY', `the GPU ran out of memory for a ${width}×${height} tile (${oom.message}); use a smaller tile or --max-memory`);
    }
    await staging.mapAsync(MapMode.READ, 0, readBack.bytes);
    const mapped = new Uint8Array(staging.getMappedRange(0, readBack.bytes));
    const overflowed = this.overflowFlag !== undefined && new Uint32Array(mapped.slice(readBack.flagAt, readBack.flagAt + 4).buffer)[0] !== 0;
    const values = mapped.subarray(readBack.skip, readBack.skip + readBack.count * elementBytes(this.element));
    const out = this.element === 'f16' ? decodeToFloat32(values, 'float16', readBack.count) : new Float32Array(values.slice().buffer);
    staging.unmap();
    if (overflowed) {
      throw new WgsrError('F16_OVERFLOW', `an activation exceeded f16's range (±65504) on a ${width}×${height} input; run it in f32`);
    }
    return out;
  }

  /** Writes the f32 input into its tensor, converted to the element type. */
  private upload(to: TensorRef, input: Float32Array): void {
    if (this.element === 'f32') {
      this.device.queue.writeBuffer(to.buffer, to.offset * 4, input.buffer, input.byteOffset, input.byteLength);
      return;
    }
    // writeBuffer takes whole 4-byte words: an odd start or length is padded with a zero
    // element. Nothing else in the buffer is live before the first dispatch of a run (the
    // input is the only value defined then), so the padding overwrites nothing that is read.
    const lead = to.offset % 2;
    const halves = new Uint16Array(Math.ceil((lead + input.length) / 2) * 2);
    halves.set(float32ToFloat16Bits(input), lead);
    this.device.queue.writeBuffer(to.buffer, (to.offset - lead) * 2, halves.buffer, 0, halves.byteLength);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.releaseActivations();
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
      old.calls.forEach(releaseCall);
      this.shapes.delete(oldest);
    }
    return prepared;
  }

  private tensorRef(id: ValueId, height: number, width: number): TensorRef {
    const v = this.plan.graph.values[id]!;
    const p = this.plan.placements.get(id)!;
    const s = this.plan.storages[p.storage]!;
    const size = valueSize(v, height, width);
    const half = this.overflowFlag && { overflow: this.overflowFlag };
    return { buffer: this.buffers[s.buffer]!, offset: p.channelOffset * size.height * size.width, channels: v.channels, ...size, ...(half && { half }) };
  }

  private ensureCapacity(height: number, width: number): void {
    if (height <= this.capacity.height && width <= this.capacity.width) return;
    const h = Math.max(height, this.capacity.height);
    const w = Math.max(width, this.capacity.width);
    this.releaseActivations();
    const limit = this.device.limits.maxStorageBufferBindingSize;
    const sizes = this.plan.bufferWeights.map((weight) => Math.ceil(weight * h * w) * elementBytes(this.element));
    // Checked before any allocation, so that a refusal leaves no buffer behind.
    const largest = Math.max(...sizes);
    if (largest > limit) {
      throw new WgsrError(
        'GPU_OUT_OF_MEMORY',
        `a ${w}×${h} tile needs a ${largest}-byte buffer but this adapter binds at most ${limit} bytes; use a smaller tile`,
      );
    }
    this.buffers = sizes.map((bytes, i) => createTensorBuffer(this.device, bytes, `activations ${i}`));
    this.capacity = { height: h, width: w };
  }

  private dropShapes(): void {
    for (const s of this.shapes.values()) s.calls.forEach(releaseCall);
    this.shapes.clear();
  }

  private stagingBuffer(bytes: number): GPUBuffer {
    if (!this.staging || this.staging.size < bytes) {
      this.staging?.destroy();
      this.staging = this.device.createBuffer({ label: 'read-back', size: Math.ceil(bytes / 16) * 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    }
    return this.staging;
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

/** The loss info after a failure: implementations may reject a call a moment before `lost` settles. */
async function deviceLoss(device: GPUDevice): Promise<GPUDeviceLostInfo | undefined> {
  for (let i = 0; i < 3 && !lossOf(device); i++) await new Promise((r) => setTimeout(r, 0));
  return lossOf(device);
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}
