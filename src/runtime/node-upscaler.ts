import { createUpscaler as createCoreUpscaler, type Upscaler, type UpscalerOptions } from '../upscaler.js';
import { createServerDevice } from './node.js';

/**
 * createUpscaler for Node, Bun and Deno: the same as the core's, but when no device is given it
 * makes one from the native WebGPU package (the core only knows navigator.gpu). The device is
 * destroyed with the upscaler.
 */
export async function createUpscaler(bytes: Uint8Array, options: UpscalerOptions = {}): Promise<Upscaler> {
  if (options.device) return createCoreUpscaler(bytes, options);
  const { device, adapter } = await createServerDevice();
  try {
    const up = await createCoreUpscaler(bytes, { ...options, device });
    return {
      ...up,
      info: up.info,
      adapter,
      destroy() {
        up.destroy();
        device.destroy();
      },
    };
  } catch (e) {
    device.destroy();
    throw e;
  }
}
