import { createUpscaler as createCoreUpscaler, type Upscaler, type UpscalerOptions } from '../upscaler.js';
import type { ModelBytes } from '../weights/types.js';
import { readModelPath } from './model-path.js';
import { kernelCacheFile } from './kernel-cache-file.js';
import { createServerDevice } from './node.js';

/**
 * createUpscaler for Node, Bun and Deno: the same as the core's, and
 * - `model` may also be a file path (a `.param` finds its `.bin`; see readModelPath), named in
 *   errors unless `options.source` names it otherwise;
 * - when no device is given it makes its devices from the native WebGPU package (the core only
 *   knows navigator.gpu). Such a device belongs to the upscaler: destroyed with it, and replaced
 *   (one retry) if it is lost;
 * - `kernels: 'auto'` keeps its measurements in a JSON file under the cache dir (kernel-cache-file.ts).
 */
export async function createUpscaler(model: ModelBytes | string, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (typeof model === 'string') {
    const bytes = readModelPath(model);
    return createUpscaler(bytes, { ...options, source: options.source ?? model });
  }
  const withCache = { ...options, kernelCache: options.kernelCache ?? kernelCacheFile() };
  if (options.device) return createCoreUpscaler(model, withCache);
  return createCoreUpscaler(model, { ...withCache, deviceFactory: options.deviceFactory ?? createServerDevice });
}
