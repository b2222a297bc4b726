import { isWgsrError, WgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import { navigatorGpu, requestWgsrDevice, type AdapterDescription } from '../gpu/device.js';
import type { Graph } from '../graph/ir.js';
import { DeviceExecutors } from './executors.js';
import type { KernelChoiceStore } from './kernel-cache.js';
import type { KernelsOption } from './kernels.js';

export type DeviceFactory = () => Promise<{ device: GPUDevice; adapter?: AdapterDescription }>;

export interface EngineOptions {
  /** A device to run on (the caller's: never destroyed or replaced here). */
  device?: GPUDevice;
  /**
   * Makes a device when `device` is not given (default: navigator.gpu). A device made this way
   * belongs to the engine: if it is lost, the failing job is tried once more on a new one, and
   * later jobs use the new one.
   */
  deviceFactory?: DeviceFactory;
  /** How activations are stored; f16 falls back to f32 (with a warning) where the device lacks shader-f16. */
  precision?: ElementType;
  warn: (message: string) => void;
  /** A name for warnings about the work (the model file's name). */
  source?: string;
  /** Which conv kernels run (default: the heuristic); see engine/kernels.ts. */
  kernels?: KernelsOption;
  /** Where `kernels: 'auto'` keeps its measurements between runs (none: in memory only). */
  kernelCache?: KernelChoiceStore;
}

/**
 * Runs one graph: owns the device (when it made it), the pipelines and the executors per
 * precision (DeviceExecutors), and the policy for a lost device.
 */
export class Engine {
  private lost = false;

  private constructor(
    private executors: DeviceExecutors | undefined,
    private readonly start: () => Promise<DeviceExecutors>,
    private readonly ownsDevice: boolean,
  ) {}

  static async create(graph: Graph, options: EngineOptions): Promise<Engine> {
    const ownsDevice = !options.device;
    const makeDevice = options.deviceFactory ?? navigatorDevice;
    const named = (message: string) => options.warn(options.source ? `${options.source}: ${message}` : message);
    const start = async (): Promise<DeviceExecutors> => {
      const made = options.device ? { device: options.device, adapter: undefined } : await makeDevice();
      try {
        let element = options.precision ?? 'f32';
        if (element === 'f16' && !made.device.features.has('shader-f16')) {
          options.warn('this GPU device has no shader-f16 feature; computing in f32');
          element = 'f32';
        }
        return await DeviceExecutors.create(made, graph, element, named, { option: options.kernels, store: options.kernelCache });
      } catch (e) {
        if (ownsDevice) made.device.destroy();
        throw e;
      }
    };
    return new Engine(await start(), start, ownsDevice);
  }

  /** The executors of the current device (throws once destroyed). */
  get current(): DeviceExecutors {
    if (!this.executors) throw new WgsrError('BAD_ARGUMENT', 'this upscaler was destroyed');
    return this.executors;
  }

  /** Runs `job`; on DEVICE_LOST with a device of our own, once more on a new device. */
  async withDevice<T>(job: (executors: DeviceExecutors) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const executors = await this.live();
      try {
        return await job(executors);
      } catch (err) {
        if (!isWgsrError(err) || err.code !== 'DEVICE_LOST') throw err;
        this.lost = true;
        if (!this.ownsDevice || attempt > 0) throw err;
      }
    }
  }

  destroy(): void {
    this.executors?.destroy(this.ownsDevice);
    this.executors = undefined;
  }

  /** The executors to run on: a device of our own that was lost is replaced first. */
  private async live(): Promise<DeviceExecutors> {
    const current = this.current;
    if (!this.lost || !this.ownsDevice) return current;
    // If no new device can be had, the lost one stays, and the next job tries again.
    const replacement = await this.start();
    if (!this.executors) {
      replacement.destroy(this.ownsDevice); // destroyed meanwhile
      throw new WgsrError('BAD_ARGUMENT', 'this upscaler was destroyed');
    }
    this.executors.destroy(this.ownsDevice);
    this.executors = replacement;
    this.lost = false;
    return replacement;
  }
}

async function navigatorDevice(): Promise<{ device: GPUDevice; adapter: AdapterDescription }> {
  const gpu = navigatorGpu();
  if (!gpu) {
    throw new WgsrError(
      'NO_GPU',
      'No WebGPU here (navigator.gpu is undefined). On Node or Bun, import createUpscaler from "wgsr/node", ' +
        'or pass { device } from createServerDevice() of "wgsr/node".',
    );
  }
  return requestWgsrDevice(gpu);
}
