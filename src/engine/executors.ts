import { isWgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import type { AdapterDescription } from '../gpu/device.js';
import { GraphExecutor, type RunOptions } from '../graph/executor.js';
import type { Graph } from '../graph/ir.js';
import { PipelineCache } from '../kernels/program.js';
import type { SubmittedTile } from '../image/types.js';
import type { ConvKernelChoice } from '../kernels/conv2d-variants.js';
import type { KernelChoiceStore } from './kernel-cache.js';
import { forF32, selectConvKernels, type KernelsOption } from './kernels.js';

/** Runs tiles for one call (one image or one forward); see DeviceExecutors.beginCall. */
export interface TileRunner {
  submit(input: Float32Array, height: number, width: number, options?: RunOptions): Promise<SubmittedTile>;
  run(input: Float32Array, height: number, width: number, options?: RunOptions): Promise<Float32Array>;
}

/**
 * One graph on one device, at the precision asked for. With f16 activations an overflow redoes
 * the work in f32, on an f32 executor made on the first overflow; the rest of that call (one
 * image or one forward) then stays in f32, and the next call starts in f16 again.
 */
export class DeviceExecutors {
  /** With f16 activations: the f32 executor overflowing work is redone on, made when first needed. */
  private f32?: Promise<GraphExecutor>;

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription | undefined,
    private readonly pipelines: PipelineCache,
    private readonly graph: Graph,
    /** The executor at the precision asked for. */
    readonly main: GraphExecutor,
    private readonly warn: (message: string) => void,
    /** Which conv kernel runs each conv shape, and how that was decided. */
    readonly kernels: { choice: ConvKernelChoice; how: string },
  ) {}

  static async create(
    made: { device: GPUDevice; adapter?: AdapterDescription },
    graph: Graph,
    element: ElementType,
    warn: (message: string) => void,
    kernels: { option?: KernelsOption; store?: KernelChoiceStore } = {},
  ): Promise<DeviceExecutors> {
    const pipelines = new PipelineCache(made.device);
    const selection = await selectConvKernels({ option: kernels.option ?? 'heuristic', pipelines, graph, element, adapter: made.adapter, store: kernels.store, warn });
    const main = await GraphExecutor.create(pipelines, graph, element, selection.choice);
    return new DeviceExecutors(made.device, made.adapter, pipelines, graph, main, warn, selection);
  }

  /**
   * Starts a call: in f16 unless the main executor is f32. The f32 executor of an earlier
   * fallback gives its memory back first.
   */
  async beginCall(): Promise<TileRunner> {
    const fallback = { f32: this.main.element === 'f32' };
    if (!fallback.f32) (await this.f32)?.releaseActivations();
    const submit = (input: Float32Array, h: number, w: number, options: RunOptions = {}) => this.submitTile(input, h, w, options, fallback);
    return { submit, run: async (input, h, w, options) => (await submit(input, h, w, options)).collect() };
  }

  /** Frees the activations of every executor (weights stay). */
  async releaseActivations(): Promise<void> {
    this.main.releaseActivations();
    (await this.f32?.catch(() => undefined))?.releaseActivations();
  }

  /** Frees the executors, and the device when it is ours. */
  destroy(ownsDevice: boolean): void {
    this.main.destroy();
    void this.f32?.then((x) => x.destroy(), () => undefined);
    if (ownsDevice) this.device.destroy();
  }

  /**
   * Submits one tile. An f16 overflow redoes it in f32, and the rest of the call stays in f32.
   * With tiles in flight, the tile after one that overflows was already submitted in f16;
   * whether or not it overflows, it is redone in f32 when collected, so the image is exactly
   * what one tile at a time would give.
   */
  private async submitTile(input: Float32Array, h: number, w: number, options: RunOptions, fallback: { f32: boolean }): Promise<SubmittedTile> {
    if (fallback.f32) return (await this.f32Executor()).submit(input, h, w, options);
    const f16 = await this.main.submit(input, h, w, options);
    return {
      collect: async () => {
        let out: Float32Array | undefined;
        try {
          out = await f16.collect();
        } catch (err) {
          if (!isWgsrError(err) || err.code !== 'F16_OVERFLOW') throw err;
          this.startFallback(err, fallback);
        }
        if (out && !fallback.f32) return out;
        // This tile or one before it overflowed: like every tile after the first overflow, it runs in f32.
        return (await this.f32Executor()).run(input, h, w, options);
      },
      discard: () => f16.discard(),
    };
  }

  /** An f16 overflow: warn once, and the rest of the call runs in f32. */
  private startFallback(overflow: Error, fallback: { f32: boolean }): void {
    if (fallback.f32) return;
    this.warn(`${overflow.message}; finishing in f32`);
    fallback.f32 = true;
    this.main.releaseActivations(); // the f32 executor needs the memory now
  }

  /** The f32 executor: the main one, or one made on the first f16 overflow. */
  private f32Executor(): Promise<GraphExecutor> {
    if (this.main.element === 'f32') return Promise.resolve(this.main);
    this.f32 ??= GraphExecutor.create(this.pipelines, this.graph, 'f32', forF32(this.kernels.choice));
    return this.f32;
  }
}
