import { describe, expect, it } from 'vitest';
import { runSelfTest, expectedSelfTestOutput } from '../src/gpu/self-test.js';
import { testDevice } from './helpers/gpu.js';

describe('runtime', () => {
  it('gets a real adapter that passes the self-test', async () => {
    const { adapter, device } = await testDevice();
    expect(adapter.summary.length).toBeGreaterThan(0);
    // The adapter's real limits were requested, not the 128 MiB defaults' floor.
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    await expect(runSelfTest(device, adapter.summary)).resolves.toBeUndefined();
  });

  it('refuses a device that computes garbage, naming the adapter and what to install', async () => {
    const { device } = await testDevice();
    // Simulate Dawn's null adapter: every shader "runs" but leaves zeros behind.
    const broken = new Proxy(device, {
      get(target, prop) {
        if (prop === 'createShaderModule') {
          return (d: GPUShaderModuleDescriptor) =>
            target.createShaderModule({
              ...d,
              code: `@group(0) @binding(0) var<storage, read_write> data: array<f32>;
                     @compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) { data[i] = 0.0; }`,
            });
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await expect(runSelfTest(broken, 'Null backend adapter')).rejects.toThrow(
      /Null backend adapter.*self-test.*mesa-vulkan-drivers/s,
    );
  });

  it('knows the self-test answer independently of the GPU', () => {
    const want = expectedSelfTestOutput();
    // data[i] = (i % 17) - 8; sums[i] = 0.5 * (sum of 4 consecutive values)
    expect(want[0]).toBe(0.5 * (-8 - 7 - 6 - 5) + 0.5 * (-4 - 3 - 2 - 1) + 1);
  });
});
