import { createUpscaler as createCoreUpscaler, type Upscaler, type UpscalerOptions } from '../upscaler.js';
import type { ModelBytes } from '../weights/types.js';
import { createServerDevice } from './node.js';

/**
 * createUpscaler for Node, Bun and Deno: the same as the core's, but when no device is given it
 * makes its devices from the native WebGPU package (the core only knows navigator.gpu). Such a
 * device belongs to the upscaler: destroyed with it, and replaced (one retry) if it is lost.
 */
export async function createUpscaler(bytes: ModelBytes, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.device) return createCoreUpscaler(bytes, options);
  return createCoreUpscaler(bytes, { ...options, deviceFactory: options.deviceFactory ?? createServerDevice });
}
