import { WgsrError } from '../errors.js';
import { readFloat32 } from '../gpu/buffers.js';
import { BufferUsage, MapMode } from '../gpu/constants.js';
import { lossChecked } from '../gpu/loss.js';
import { pacerFor, type GpuPacer } from '../gpu/pacing.js';
import type { Graph } from '../graph/ir.js';
import { adamUniforms, checkAdamSettings, type AdamStepSettings } from '../kernels/adam.js';
import type { ConvKernelChoice } from '../kernels/conv2d-variants.js';
import { sharedLoadSubgroupSize } from '../kernels/conv2d-weights.js';
import type { LossKind } from '../kernels/loss.js';
import { encodeCall, type PipelineCache } from '../kernels/program.js';
import { buildTraining } from './build.js';
import type { ParameterLayout } from './parameters.js';
import type { TrainProgram } from './reverse.js';
import type { StepPhase } from './lower.js';
import { stepMemory, type StepMemory } from './memory-report.js';
import { prepareShape, type ShapeRun } from './shape-run.js';
import { createTrainingState, initialValues, type TrainingState } from './state.js';
import { StepTimer } from './step-timing.js';

export type { StepMemory } from './memory-report.js';

/**
 * One network being trained on one device: the program (reverse mode over its graph), the GPU
 * state that lasts (weights, gradients, moments, running statistics), and the prepared step of
 * the current batch shape. A step is one command encoder and one submit: the packed weights'
 * refresh, the forward, the loss, the backward, the gradient norm and the optimizer; then the
 * loss and the gradient norm are read back (two floats).
 */
export interface SessionOptions {
  /** Which conv kernel runs each forward conv and input gradient, by shape (default: the register tile). */
  readonly convKernel?: ConvKernelChoice;
  readonly loss: LossKind;
  readonly optimizer: Omit<AdamStepSettings, 'step'>;
  /** Keys the model file has (graph tensors it lacks are constants). */
  readonly fileKeys: ReadonlySet<string>;
  /** Key prefixes never trained. */
  readonly frozen: readonly string[];
  /** Bytes a step may use (parameters, optimizer state, activations, everything). */
  readonly maxMemory: number;
  /** Keep an exponential moving average of the trainable weights with this decay (kernels/ema.ts). */
  readonly emaDecay?: number;
  /** Adam's state to start from (a resumed run), read against the parameter layout; `ema` when the run kept one. */
  readonly resume?: (layout: ParameterLayout) => { step: number; expAvg: Float32Array; expAvgSq: Float32Array; ema?: Float32Array };
}


export class TrainingSession {
  private shape: ShapeRun | undefined;
  private settings: Omit<AdamStepSettings, 'step'>;
  private taken: number;
  private readonly staging: GPUBuffer;
  private destroyed = false;
  /** The GPU work of one call at a time: steps share buffers (and one read-back buffer). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly program: TrainProgram,
    readonly layout: ParameterLayout,
    private readonly state: TrainingState,
    private readonly options: SessionOptions,
    private readonly pacer: GpuPacer | undefined,
  ) {
    this.settings = { ...options.optimizer };
    this.taken = 0;
    this.staging = device.createBuffer({ label: 'training scalars read-back', size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  /**
   * `pipelines`: the device's pipeline cache, shared with whatever compiled kernels for it
   * before (the conv kernel choice measures variants with it under `kernels: 'auto'`).
   */
  static async create(pipelines: PipelineCache, graph: Graph, options: SessionOptions): Promise<TrainingSession> {
    const { device } = pipelines;
    checkAdamSettings(options.optimizer);
    const { program, layout } = buildTraining(graph, { fileKeys: options.fileKeys, frozen: options.frozen });
    const resumed = options.resume?.(layout);
    if (resumed && [resumed.expAvg, resumed.expAvgSq, ...(resumed.ema ? [resumed.ema] : [])].some((a) => a.length !== layout.trainable)) {
      throw new WgsrError('BAD_ARGUMENT', `the optimizer state holds ${resumed.expAvg.length} values for ${layout.trainable} trainable parameters`);
    }
    const keepEma = options.emaDecay !== undefined;
    if (resumed && keepEma !== (resumed.ema !== undefined)) {
      throw new WgsrError(
        'BAD_ARGUMENT',
        keepEma
          ? 'the optimizer state to resume has no moving average of the weights: resume without ema, as the run was made'
          : 'the optimizer state to resume holds a moving average of the weights: resume with the ema decay the run was made with',
      );
    }
    const initial = { ...initialValues(layout), ...(resumed && { expAvg: resumed.expAvg, expAvgSq: resumed.expAvgSq, ema: resumed.ema }) };
    const state = createTrainingState(device, program, layout, initial, sharedLoadSubgroupSize(device), options.emaDecay);
    const session = new TrainingSession(device, pipelines, program, layout, state, options, await pacerFor(device));
    session.taken = resumed?.step ?? 0;
    return session;
  }

  /** Optimizer steps taken so far (counting a resumed run's). */
  get steps(): number {
    return this.taken;
  }

  setLearningRate(lr: number): void {
    checkAdamSettings({ ...this.settings, lr }, 'setLearningRate');
    this.settings = { ...this.settings, lr };
  }

  /** What a step of N images of h×w needs, by kind, in bytes. */
  memory(batch: number, height: number, width: number): StepMemory {
    const limits = this.device.limits;
    return stepMemory(this.program, this.layout, this.state.bytes, Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize), batch, height, width);
  }

  /**
   * One training step on a batch already checked for shape: returns the loss before the
   * update. A non-finite loss or gradient leaves every parameter and moment as it was (the
   * optimizer skips the update on the GPU) and throws NUMERIC.
   */
  async step(lr: Float32Array, hr: Float32Array, batch: number, height: number, width: number): Promise<number> {
    return this.serial(() => lossChecked(this.device, this.stepChecked(lr, hr, batch, height, width)));
  }

  /** Runs `job` after every call before it (a caller may start a step before the last one ended). */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.destroyed) throw new WgsrError('BAD_ARGUMENT', 'this trainer was destroyed');
      return job();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A step (it trains, like step()) with every dispatch timed: each runs in a pass of its own,
   * so the total is a little slower than step()'s. Needs timestamp-query.
   */
  async profileStep(lr: Float32Array, hr: Float32Array, batch: number, height: number, width: number): Promise<{ loss: number; calls: StepCallTime[] }> {
    return this.serial(() => this.profileChecked(lr, hr, batch, height, width));
  }

  private async profileChecked(lr: Float32Array, hr: Float32Array, batch: number, height: number, width: number): Promise<{ loss: number; calls: StepCallTime[] }> {
    const run = await this.ensureShape(batch, height, width);
    const timer = new StepTimer(this.device, run.calls.length);
    try {
      const loss = await lossChecked(this.device, this.stepChecked(lr, hr, batch, height, width, timer));
      const ms = await timer.read();
      return { loss, calls: run.calls.map((c, i) => ({ label: c.prepared.label ?? '', phase: c.phase, flops: c.flops, ms: ms[i]! })) };
    } finally {
      timer.destroy();
    }
  }

  private async stepChecked(lr: Float32Array, hr: Float32Array, batch: number, height: number, width: number, timer?: StepTimer): Promise<number> {
    const run = await this.ensureShape(batch, height, width);
    const { device } = this;
    device.queue.writeBuffer(run.input.buffer, run.input.offset * 4, lr.buffer, lr.byteOffset, lr.byteLength);
    device.queue.writeBuffer(run.target.buffer, 0, hr.buffer, hr.byteOffset, hr.byteLength);
    const uniforms = adamUniforms(this.layout.trainable, { ...this.settings, step: this.taken + 1 });
    device.queue.writeBuffer(run.adam.uniformBuffer!, 0, uniforms);
    const encoder = device.createCommandEncoder({ label: 'training step' });
    for (const c of this.state.slopeCopies) encoder.copyBufferToBuffer(this.state.weights, c.from, c.to, 0, c.bytes);
    if (timer) timer.encode(encoder, run.calls.map((c) => c.prepared));
    else {
      const pass = encoder.beginComputePass();
      for (const c of run.calls) encodeCall(pass, c.prepared);
      pass.end();
    }
    encoder.copyBufferToBuffer(this.state.scalars, 0, this.staging, 0, 8);
    device.queue.submit([encoder.finish()]);
    const key = `${batch}x${height}x${width}`;
    if (this.pacer) await this.pacer.map(key, this.staging, 8, () => (this.destroyed ? new WgsrError('BAD_ARGUMENT', 'the trainer was destroyed during a step') : undefined));
    else await this.staging.mapAsync(MapMode.READ, 0, 8);
    const [loss, normSquared] = new Float32Array(this.staging.getMappedRange(0, 8).slice(0));
    this.staging.unmap();
    if (!Number.isFinite(loss!) || !Number.isFinite(normSquared!)) {
      const what = Number.isFinite(loss!) ? `the gradients are not finite (norm² ${normSquared})` : `the loss is ${loss}`;
      throw new WgsrError('NUMERIC', `step ${this.taken + 1}: ${what}; the parameters were not updated. Check the batch for NaN or infinite values, or lower the learning rate`);
    }
    this.taken++;
    return loss!;
  }

  /** The prepared step of this shape (made on first use; a new shape replaces the old). */
  private async ensureShape(batch: number, height: number, width: number): Promise<ShapeRun> {
    const s = this.shape;
    if (s && s.batch === batch && s.height === height && s.width === width) return s;
    const memory = this.memory(batch, height, width);
    if (memory.total > this.options.maxMemory) {
      throw new WgsrError(
        'GPU_OUT_OF_MEMORY',
        `a training step on ${batch} × ${width}×${height} needs ${mib(memory.total)} MiB (activations ${mib(memory.activations)}, parameters and gradients ${mib(memory.parameters)}, ` +
          `optimizer ${mib(memory.optimizer)}), over the ${mib(this.options.maxMemory)} MiB budget; use a smaller batch or patch, or raise maxMemory`,
      );
    }
    if (s) {
      await this.device.queue.onSubmittedWorkDone();
      s.destroy();
      this.shape = undefined;
    }
    this.device.pushErrorScope('out-of-memory');
    let run: ShapeRun | undefined;
    try {
      run = await prepareShape(this.pipelines, this.program, this.layout, this.state, this.options.loss, this.settings, { batch, height, width }, this.options.convKernel ?? registerTile);
    } finally {
      const oom = await this.device.popErrorScope().catch(() => null);
      if (oom) {
        run?.destroy();
        throw new WgsrError('GPU_OUT_OF_MEMORY', `the GPU ran out of memory for a training step on ${batch} × ${width}×${height} (${oom.message}); use a smaller batch or patch`);
      }
    }
    this.shape = run;
    return run;
  }

  /** Whether the weights' moving average is kept. */
  get keepsEma(): boolean {
    return this.state.ema !== undefined;
  }

  /** Flat arrays of the GPU state, as floats ('ema': the trainable weights' moving average, when kept). */
  async read(what: 'weights' | 'grads' | 'expAvg' | 'expAvgSq' | 'ema' | 'running'): Promise<Float32Array> {
    const count = what === 'weights' ? this.layout.total : what === 'running' ? this.layout.runningTotal : this.layout.trainable;
    if (count === 0) return new Float32Array(0);
    const buffer = what === 'ema' ? this.state.ema?.buffer : this.state[what];
    if (!buffer) throw new WgsrError('BAD_ARGUMENT', 'this trainer keeps no moving average of the weights (create it with the ema option)');
    return this.serial(() => lossChecked(this.device, readFloat32(this.device, buffer, 0, count)));
  }

  /** The prepared step of the current shape (for profiling), if any. */
  get prepared(): ShapeRun | undefined {
    return this.shape;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.shape?.destroy();
    this.state.destroy();
    this.staging.destroy();
  }
}

/** One dispatch of a timed step. */
export interface StepCallTime {
  readonly label: string;
  readonly phase: StepPhase;
  /** Multiply-adds × 2 (convs and their gradients; 0 for the rest). */
  readonly flops: number;
  readonly ms: number;
}

const registerTile: ConvKernelChoice = () => 'register-tile';

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
