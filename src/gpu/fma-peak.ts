import { BufferUsage } from './constants.js';

/**
 * The adapter's practical vec4-FMA peak, measured the way bench/peak.mjs does: every
 * invocation runs independent chains of fma() on registers and nothing else, the best of a
 * few chain counts (enough chains to hide FMA latency, few enough to stay in registers).
 * `wgsr tune` reports conv throughput as a share of this, from the same run.
 */
export const FMA_WORKGROUP = 64;
/** FMAs per chain per loop iteration: enough that the loop's own overhead does not count. */
export const FMA_UNROLL = 8;

/** The peak kernel with `chains` independent vec4 FMA chains per invocation (bench/peak.mjs uses it too). */
export function fmaPeakShader(chains: number): string {
  const ids = Array.from({ length: chains }, (_, i) => i);
  return /* wgsl */ `
struct Params { iterations: u32, seed: f32 }
@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(${FMA_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // Values depend on the invocation and a uniform, so nothing can be folded at compile time.
  let s = f32(gid.x) * 1e-7 + p.seed;
${ids.map((i) => `  var a${i} = vec4f(s + ${i}.0, s + ${i}.25, s + ${i}.5, s + ${i}.75);`).join('\n')}
  let m = vec4f(0.999999, 0.999998, 0.999997, 0.999996) + p.seed;
  let c = vec4f(1e-6) * p.seed;
  for (var i = 0u; i < p.iterations; i++) {
${Array.from({ length: FMA_UNROLL }, () => ids.map((i) => `    a${i} = fma(a${i}, m, c);`).join('\n')).join('\n')}
  }
  out[gid.x] = ${ids.map((i) => `a${i}`).join(' + ')};
}`;
}

/** GFLOPS (1 vec4 fma = 8 FLOPs), the best of `runs` per chain count; `time` times one dispatch. */
export async function measureFmaPeak(
  device: GPUDevice,
  time: (encode: (pass: GPUComputePassEncoder) => void) => Promise<number>,
  options: { workgroups: number; iterations: number; runs: number },
): Promise<number> {
  const { workgroups, iterations } = options;
  const out = device.createBuffer({ size: workgroups * FMA_WORKGROUP * 16, usage: BufferUsage.STORAGE });
  const uniforms = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  device.queue.writeBuffer(uniforms, 0, new Uint32Array([iterations, 0]));
  let best = 0;
  try {
    for (const chains of [4, 8, 16]) {
      const module = device.createShaderModule({ code: fmaPeakShader(chains) });
      const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: out } },
          { binding: 1, resource: { buffer: uniforms } },
        ],
      });
      const encode = (pass: GPUComputePassEncoder) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(workgroups);
      };
      await time(encode); // compile and warm up
      const flops = workgroups * FMA_WORKGROUP * iterations * FMA_UNROLL * chains * 8;
      for (let r = 0; r < options.runs; r++) best = Math.max(best, flops / (await time(encode)) / 1e6);
    }
  } finally {
    out.destroy();
    uniforms.destroy();
  }
  return best;
}
