import type { ElementType } from '../../src/gpu/buffers.js';
import { offeredConvVariants, type ConvKernelName } from '../../src/kernels/conv2d-variants.js';
import { testDevice } from './gpu.js';

/**
 * The conv kernels the test device offers at a storage precision: kernel and model tests run
 * once per name, so every variant an adapter can pick is checked on that adapter.
 * WGSR_TEST_KERNELS (comma-separated) narrows the list, to rerun one variant.
 */
export async function offeredConvKernels(element: ElementType): Promise<ConvKernelName[]> {
  const { device } = await testDevice();
  const names = offeredConvVariants(device, element).map((v) => v.name);
  const only = process.env.WGSR_TEST_KERNELS?.split(',').map((s) => s.trim());
  return only ? names.filter((n) => only.includes(n)) : names;
}
