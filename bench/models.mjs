// Whole-model benchmark: RRDBNet at Real-ESRGAN x4plus size (23 blocks, 64 features, growth 32;
// random weights of the real shapes), f32, on 32×32 and 64×64 inputs. Reports cold start (load
// the weights, build, compile pipelines, first tile), steady-state ms per tile (upload, compute
// and read-back included), GFLOPS, planned vs naive activation memory, and the activation bytes
// the executor really allocated (its buffers counted on the device) against the planner's
// minimum (the most that is ever live at once): ratio = allocated / minimum.
// Run: npm run build && npm run bench:models   (BENCH_SIZES=32,64,128 to choose sizes)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countingDevice } from './lib/counting-device.mjs';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';
import { measurePeak } from './peak.mjs';

const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');
const { syntheticRRDBNet, rrdbnetFlopsPerPixel } = await distImport('models/synthetic.js');

async function main() {
  const sizes = (process.env.BENCH_SIZES ?? '32,64').split(',').map(Number);
  const { device, adapter } = await createServerDevice();
  console.log(`adapter: ${adapter.summary}`);
  const peak = await measurePeak(device);
  console.log(`vec4 FMA peak: ${peak.gflops.toFixed(1)} GFLOPS`);
  const bytes = writeSafetensors(syntheticRRDBNet());
  const counting = countingDevice(device);
  const flopsPerPixel = rrdbnetFlopsPerPixel();
  const rows = [];
  for (const size of sizes) {
    const input = Float32Array.from({ length: 3 * size * size }, (_, i) => (i % 251) / 251);
    const t0 = performance.now();
    const up = await createUpscaler(bytes, { device: counting.device });
    const built = performance.now();
    await up.forward({ shape: [1, 3, size, size], data: input });
    const first = performance.now();
    // A fresh upscaler has run this size only: its live activation buffers are this size's.
    const allocated = counting.liveBytes(/^activations/);
    const times = [];
    while (times.length < 3 || (times.length < 10 && times.reduce((a, b) => a + b, 0) < 20_000)) {
      const t = performance.now();
      await up.forward({ shape: [1, 3, size, size], data: input });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    const mem = up.memory(size, size);
    rows.push({
      size: `${size}×${size}`,
      coldMs: first - t0,
      buildMs: built - t0,
      ms,
      gflops: (flopsPerPixel * size * size) / (ms * 1e6),
      peakShare: (flopsPerPixel * size * size) / (ms * 1e6) / peak.gflops,
      plannedMiB: mem.planned / 2 ** 20,
      naiveMiB: mem.naive / 2 ** 20,
      allocatedMiB: allocated / 2 ** 20,
      minimumMiB: mem.minimum / 2 ** 20,
      ratio: allocated / mem.minimum,
      reps: times.length,
    });
    up.destroy();
  }
  printTable(rows, [
    { key: 'size', title: 'input', align: 'left' },
    { key: 'coldMs', title: 'cold start ms', format: (v) => v.toFixed(0) },
    { key: 'ms', title: 'ms/tile', format: (v) => v.toFixed(0) },
    { key: 'gflops', title: 'GFLOPS', format: (v) => v.toFixed(2) },
    { key: 'peakShare', title: '% of peak', format: (v) => (100 * v).toFixed(1) },
    { key: 'plannedMiB', title: 'planned MiB', format: (v) => v.toFixed(1) },
    { key: 'naiveMiB', title: 'naive MiB', format: (v) => v.toFixed(1) },
    { key: 'allocatedMiB', title: 'allocated MiB', format: (v) => v.toFixed(1) },
    { key: 'minimumMiB', title: 'minimum MiB', format: (v) => v.toFixed(1) },
    { key: 'ratio', title: 'ratio', format: (v) => v.toFixed(3) },
  ]);
  const out = path.resolve(import.meta.dirname, 'results', `models-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ adapter, peakGflops: peak.gflops, flopsPerPixel, precision: 'f32', rows }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  device.destroy();
}

await main();
