// The adapter's practical FMA peak: every invocation runs independent chains of vec4 fma() on
// registers, with nothing else in the loop. Conv throughput is reported as a share of this.
// Run alone: node bench/peak.mjs (after npm run build).
import { pathToFileURL } from 'node:url';
import { distImport } from './lib/dist.mjs';
import { GpuTimer } from './lib/timer.mjs';

const { BufferUsage } = await distImport('gpu/constants.js');
const { fmaPeakShader, FMA_WORKGROUP: WORKGROUP, FMA_UNROLL: UNROLL } = await distImport('gpu/fma-peak.js');
const ITERATIONS = 512;

/**
 * Best GFLOPS over a few chain counts (enough independent chains to hide FMA latency, few
 * enough to stay in registers). One vec4 fma = 8 FLOPs.
 * @param {GPUDevice} device
 */
export async function measurePeak(device, { workgroups = 512 } = {}) {
  const timer = new GpuTimer(device);
  const invocations = workgroups * WORKGROUP;
  const out = device.createBuffer({ size: invocations * 16, usage: BufferUsage.STORAGE });
  const uniforms = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  device.queue.writeBuffer(uniforms, 0, new Uint32Array([ITERATIONS, 0]));
  const results = [];
  for (const chains of [1, 2, 4, 6, 8, 12, 16]) {
    const module = device.createShaderModule({ code: fmaPeakShader(chains) });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: uniforms } },
      ],
    });
    const { ms, min } = await timer.median((pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups);
    });
    const flops = invocations * ITERATIONS * UNROLL * chains * 8;
    results.push({ chains, ms, gflops: flops / ms / 1e6, bestGflops: flops / min / 1e6 });
  }
  out.destroy();
  uniforms.destroy();
  const best = results.reduce((a, b) => (b.bestGflops > a.bestGflops ? b : a));
  // gflops: from the median run; bestGflops: from the fastest (least disturbed by other load).
  return { gflops: best.gflops, bestGflops: best.bestGflops, chains: best.chains, timing: timer.method, results };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { createServerDevice } = await distImport('runtime/node.js');
  const { device, adapter } = await createServerDevice();
  const peak = await measurePeak(device);
  console.log(`${adapter.summary}: vec4 FMA peak ${peak.bestGflops.toFixed(1)} GFLOPS best, ${peak.gflops.toFixed(1)} median (${peak.chains} chains, ${peak.timing})`);
  for (const r of peak.results) console.log(`  ${r.chains} chains: ${r.bestGflops.toFixed(1)} GFLOPS best, ${r.gflops.toFixed(1)} median`);
  device.destroy();
}
