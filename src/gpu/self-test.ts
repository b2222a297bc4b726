import { WgsrError } from '../errors.js';
import { BufferUsage, MapMode } from './constants.js';

/**
 * A computation with a known answer, run on every new device before it is trusted.
 *
 * Why: when no working driver exists, Dawn can hand out an adapter that accepts every call and
 * computes garbage (often zeros). Without this check such a device produces black or noisy
 * images silently. The kernel uses a loop, a workgroup barrier and float math with exactly
 * representable results, so a broken adapter cannot pass by accident.
 */
const SELF_TEST_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
var<workgroup> shared_sum: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32) {
  var acc = 0.0;
  for (var k = 0u; k < 4u; k++) {
    acc = fma(data[i * 4u + k], 0.5, acc);
  }
  shared_sum[i] = acc;
  workgroupBarrier();
  // Each invocation also adds its neighbour's sum: proves workgroup memory works.
  data[i] = acc + shared_sum[(i + 1u) % 64u] + 1.0;
}`;

const N = 256;

export function expectedSelfTestOutput(): Float32Array {
  const input = selfTestInput();
  const sums = new Float32Array(64);
  for (let i = 0; i < 64; i++) {
    let acc = 0;
    for (let k = 0; k < 4; k++) acc += input[i * 4 + k]! * 0.5;
    sums[i] = acc;
  }
  const out = new Float32Array(64);
  for (let i = 0; i < 64; i++) out[i] = sums[i]! + sums[(i + 1) % 64]! + 1;
  return out;
}

function selfTestInput(): Float32Array<ArrayBuffer> {
  const input = new Float32Array(N);
  for (let i = 0; i < N; i++) input[i] = (i % 17) - 8; // small integers: every result is exact
  return input;
}

/** Throws WgsrError('GPU_SELF_TEST') naming the adapter when the device computes a wrong answer. */
export async function runSelfTest(device: GPUDevice, adapterName: string): Promise<void> {
  const fail = (why: string, cause?: unknown): never => {
    throw new WgsrError(
      'GPU_SELF_TEST',
      `The WebGPU adapter "${adapterName}" failed wgsr's self-test (${why}); it would produce ` +
        `wrong images. On Linux without a GPU install Mesa's lavapipe (Debian: ` +
        `apt-get install -t bookworm-backports mesa-vulkan-drivers; Mesa 25 or later is needed ` +
        `by Dawn); otherwise update the GPU driver.`,
      { cause },
    );
  };
  let data: GPUBuffer | undefined;
  let readback: GPUBuffer | undefined;
  try {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: SELF_TEST_WGSL });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    data = device.createBuffer({
      size: N * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    readback = device.createBuffer({ size: 64 * 4, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    device.queue.writeBuffer(data, 0, selfTestInput());
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: data } }] }),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(data, 0, readback, 0, 64 * 4);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) fail(`validation error: ${error.message}`);
    await readback.mapAsync(MapMode.READ);
    const got = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    const want = expectedSelfTestOutput();
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) fail(`element ${i}: expected ${want[i]}, got ${got[i]}`);
    }
  } catch (e) {
    if (e instanceof WgsrError) throw e;
    fail(e instanceof Error ? e.message : String(e), e);
  } finally {
    data?.destroy();
    readback?.destroy();
  }
}
