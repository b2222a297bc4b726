// The adapter's practical FMA peak: every invocation runs independent chains of vec4 fma() on
// registers, with nothing else in the loop. Conv throughput is reported as a share of this.
// Run alone: node bench/peak.mjs (after npm run build).
import { pathToFileURL } from 'node:url';
import { distImport } from './lib/dist.mjs';
import { GpuTimer } from './lib/timer.mjs';

const { BufferUsage } = await distImport('gpu/constants.js');

const WORKGROUP = 64;
const ITERATIONS = 512;
// FMAs per chain per loop iteration: enough that the loop's own overhead does not count.
const UNROLL = 8;

function shader(chains) {
  const ids = Array.from({ length: chains }, (_, i) => i);
  return /* wgsl */ `
struct Params { iterations: u32, seed: f32 }
@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // Values depend on the invocation and a uniform, so nothing can be folded at compile time.
  let s = f32(gid.x) * 1e-7 + p.seed;
${ids.map((i) => `  var a${i} = vec4f(s + ${i}.0, s + ${i}.25, s + ${i}.5, s + ${i}.75);`).join('\n')}
  let m = vec4f(0.999999, 0.999998, 0.999997, 0.999996) + p.seed;
  let c = vec4f(1e-6) * p.seed;
  for (var i = 0u; i < p.iterations; i++) {
${Array.from({ length: UNROLL }, () => ids.map((i) => `    a${i} = fma(a${i}, m, c);`).join('\n')).join('\n')}
  }
  out[gid.x] = ${ids.map((i) => `a${i}`).join(' + ')};
}`;
}

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
    const module = device.createShaderModule({ code: shader(chains) });
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
