import { createTrainer as createCoreTrainer, type Trainer, type TrainerOptions } from '../trainer.js';
import type { ModelBytes } from '../weights/types.js';
import { createServerDevice } from './node.js';

/**
 * createTrainer for Node, Bun and Deno: the core's, but when no device is given it makes one
 * from the native WebGPU package (the core only knows navigator.gpu). That device belongs to the
 * trainer and is destroyed with it.
 */
export async function createTrainer(bytes: ModelBytes, options: TrainerOptions): Promise<Trainer> {
  if (options.device) return createCoreTrainer(bytes, options);
  return createCoreTrainer(bytes, { ...options, deviceFactory: options.deviceFactory ?? createServerDevice });
}
