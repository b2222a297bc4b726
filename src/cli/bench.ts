import { WgsrError } from '../errors.js';
import { rrdbnetFlopsPerPixel } from '../models/synthetic.js';
import { createServerDevice } from '../runtime/node.js';
import { createUpscaler } from '../upscaler.js';
import { benchModel } from './bench-model.js';
import { numberArg, parseCommandArgs, type Command } from './command.js';
import { checkKernelsOption } from '../engine/kernels.js';
import { kernelCacheFile } from '../runtime/kernel-cache-file.js';

const USAGE = `Usage: wgsr bench [-m model] [--size N] [--runs N] [--kernels K] [--profile] [--json]

Times the network's forward pass on an N×N input (default 64), upload and read-back included.
Without -m: RRDBNet at Real-ESRGAN x4plus size (23 blocks, 64 features, growth 32) with random
weights. --profile adds per-layer GPU times from timestamp queries, slowest first, with the
conv kernel variant of each layer. --kernels: heuristic (default), auto, or a variant (wgsr tune).
Kernel and model benchmarks with more detail: npm run bench:kernels, npm run bench:models.`;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time a model on this adapter (per-layer with --profile)',
  usage: USAGE,
  async run(argv, io) {
    const { values: v } = parseCommandArgs('bench', argv, [
      { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
      { name: 'size', kind: 'string' },
      { name: 'runs', kind: 'string' },
      { name: 'profile', kind: 'flag' },
      { name: 'kernels', kind: 'string' },
      { name: 'json', kind: 'flag' },
    ]);
    const size = numberArg(v.size as string | undefined, '--size', (n) => Number.isInteger(n) && n >= 4, 'a whole number ≥ 4') ?? 64;
    const runs = numberArg(v.runs as string | undefined, '--runs', (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1') ?? 3;
    const { bytes, source } = benchModel(v.model as string | undefined);
    const { device, adapter } = await createServerDevice();
    try {
      const started = performance.now();
      const up = await createUpscaler(bytes, {
        device,
        source,
        kernels: checkKernelsOption(v.kernels),
        kernelCache: kernelCacheFile(),
        onWarning: (m) => io.stderr(`wgsr: ${m}`),
      });
      const m = up.info.scale === 1 ? 4 : up.info.scale === 2 ? 2 : 1;
      const side = Math.ceil(size / m) * m;
      // One forward pass holds the whole input: refuse a size whose largest activation this
      // adapter cannot bind, before allocating anything for it, with the largest size that fits.
      const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      const largest = up.memory(side, side).largestBuffer;
      if (largest > limit) {
        const fits = Math.floor((side * Math.sqrt(limit / largest)) / m) * m;
        up.destroy();
        throw new WgsrError('BAD_ARGUMENT', `--size ${size} needs a ${largest}-byte activation buffer, but this adapter binds at most ${limit} bytes; the largest --size that fits is about ${fits}`);
      }
      const data = Float32Array.from({ length: up.info.inChannels * side * side }, (_, i) => (i % 251) / 251);
      const input = { shape: [1, up.info.inChannels, side, side] as const, data };
      await up.forward(input);
      const coldMs = performance.now() - started;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await up.forward(input);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const ms = times[Math.floor(times.length / 2)]!;
      const layers = v.profile ? await up.profile(side, side) : undefined;
      const flops = v.model ? layers?.reduce((s, l) => s + l.flops, 0) : rrdbnetFlopsPerPixel() * side * side;
      const memory = up.memory(side, side);
      up.destroy();
      const result = { adapter: adapter.summary, model: up.info.arch, kernels: up.kernels, size: side, coldMs, ms, gflops: flops ? flops / (ms * 1e6) : undefined, plannedBytes: memory.planned, naiveBytes: memory.naive, layers };
      if (v.json) {
        io.stdout(JSON.stringify(result));
        return 0;
      }
      io.stdout(`adapter: ${adapter.summary}`);
      io.stdout(`model:   ${result.model} ×${up.info.scale}, input ${side}×${side}`);
      io.stdout(`kernels: ${result.kernels}`);
      io.stdout(`cold start (load, build, compile, first run): ${coldMs.toFixed(0)} ms`);
      io.stdout(`forward: ${ms.toFixed(1)} ms (median of ${runs})${result.gflops ? `, ${result.gflops.toFixed(2)} GFLOPS` : ''}`);
      io.stdout(`activation memory: ${(memory.planned / 2 ** 20).toFixed(1)} MiB planned, ${(memory.naive / 2 ** 20).toFixed(1)} MiB with one buffer per value`);
      if (layers) {
        const total = layers.reduce((s, l) => s + l.ms, 0);
        io.stdout(`\nper layer (GPU time, slowest first; total ${total.toFixed(1)} ms):`);
        for (const l of [...layers].sort((a, b) => b.ms - a.ms).slice(0, 25)) {
          const gflops = l.flops ? `${(l.flops / (l.ms * 1e6)).toFixed(2).padStart(7)} GFLOPS` : '';
          io.stdout(`  ${l.label.padEnd(28)} ${(l.kernel ?? l.op).padEnd(16)} ${l.ms.toFixed(2).padStart(9)} ms ${(100 * l.ms / total).toFixed(1).padStart(5)}% ${gflops}`);
        }
      }
      return 0;
    } finally {
      device.destroy();
    }
  },
};
