import { createServerDevice } from '../../src/runtime/node.js';
import type { WgsrDevice } from '../../src/gpu/device.js';
import { PipelineCache } from '../../src/kernels/program.js';

let shared: Promise<WgsrDevice> | undefined;

/**
 * The device every GPU test uses. It has passed the self-test (a known computation), so a null
 * or broken adapter fails the suite loudly here instead of producing plausible garbage.
 */
export function testDevice(): Promise<WgsrDevice> {
  shared ??= createServerDevice();
  return shared;
}

let cache: PipelineCache | undefined;
export async function testPipelines(): Promise<PipelineCache> {
  const { device } = await testDevice();
  if (!cache || cache.device !== device) cache = new PipelineCache(device);
  return cache;
}
