// Whole-model benchmark: RRDBNet at Real-ESRGAN x4plus size (23 blocks, 64 features, growth 32;
// random weights of the real shapes), f32, on 32×32 and 64×64 inputs. Reports cold start (load
// the weights, build, compile pipelines, first tile), steady-state ms per tile (upload, compute
// and read-back included), GFLOPS, and planned vs naive activation memory.
// Run: npm run build && npm run bench:models   (BENCH_SIZES=32,64,128 to choose sizes)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';
import { measurePeak } from './peak.mjs';

const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');

/** A BasicSR RRDBNet state dict of the given sizes with small random weights (seeded). */
export function rrdbnetStateDict({ numFeat = 64, numBlock = 23, numGrowCh = 32, seed = 1 } = {}) {
  let s = seed >>> 0;
  const random = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 4294967296) * 2 - 1;
  const sd = new Map();
  const conv = (name, cout, cin) => {
    const scale = Math.sqrt(1 / (cin * 9));
    sd.set(`${name}.weight`, { shape: [cout, cin, 3, 3], data: Float32Array.from({ length: cout * cin * 9 }, () => random() * scale), dtype: 'float32' });
    sd.set(`${name}.bias`, { shape: [cout], data: Float32Array.from({ length: cout }, () => random() * 0.01), dtype: 'float32' });
  };
  conv('conv_first', numFeat, 3);
  for (let b = 0; b < numBlock; b++)
    for (let r = 1; r <= 3; r++) for (let c = 1; c <= 5; c++) conv(`body.${b}.rdb${r}.conv${c}`, c === 5 ? numFeat : numGrowCh, numFeat + (c - 1) * numGrowCh);
  for (const n of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) conv(n, numFeat, numFeat);
  conv('conv_last', 3, numFeat);
  return sd;
}

/** Multiply-adds × 2 of RRDBNet ×4 per input pixel (35.85 MFLOP at x4plus size). */
export function rrdbnetFlopsPerPixel({ numFeat = 64, numBlock = 23, numGrowCh = 32 } = {}) {
  const k = 9;
  let perLR = 2 * k * 3 * numFeat; // conv_first
  for (let c = 1; c <= 5; c++) perLR += 3 * numBlock * 2 * k * (numFeat + (c - 1) * numGrowCh) * (c === 5 ? numFeat : numGrowCh);
  perLR += 2 * k * numFeat * numFeat; // conv_body
  const up1 = 4 * 2 * k * numFeat * numFeat;
  const hr = 16 * 2 * k * numFeat * numFeat * 2; // conv_up2 and conv_hr at ×4
  const last = 16 * 2 * k * numFeat * 3;
  return perLR + up1 + hr + last;
}

async function main() {
  const sizes = (process.env.BENCH_SIZES ?? '32,64').split(',').map(Number);
  const { device, adapter } = await createServerDevice();
  console.log(`adapter: ${adapter.summary}`);
  const peak = await measurePeak(device);
  console.log(`vec4 FMA peak: ${peak.gflops.toFixed(1)} GFLOPS`);
  const bytes = writeSafetensors(rrdbnetStateDict());
  const flopsPerPixel = rrdbnetFlopsPerPixel();
  const rows = [];
  for (const size of sizes) {
    const input = Float32Array.from({ length: 3 * size * size }, (_, i) => (i % 251) / 251);
    const t0 = performance.now();
    const up = await createUpscaler(bytes, { device });
    const built = performance.now();
    await up.forward({ shape: [1, 3, size, size], data: input });
    const first = performance.now();
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
  ]);
  const out = path.resolve(import.meta.dirname, 'results', `models-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ adapter, peakGflops: peak.gflops, flopsPerPixel, precision: 'f32', rows }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  device.destroy();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
