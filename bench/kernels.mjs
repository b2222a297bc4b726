// Kernel benchmark: every conv shape of Real-ESRGAN x4plus (RRDBNet, nf 64, gc 32) at 64×64 and
// 128×128 inputs, with the epilogue and fused read the network uses, against the adapter's
// vec4-FMA peak measured in the same run, with activations stored as f32 and/or f16.
//   npm run bench:kernels [-- --sizes 64,128 --only 192 --rounds 3 --precision f32,f16 --kernels register-tile,gemm]
// --kernels: the conv kernel variants to time (default register-tile; `all`: every variant the
// adapter offers at each precision).
// Prints a table and writes bench/results/kernels-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';
import { GpuTimer } from './lib/timer.mjs';
import { measurePeak } from './peak.mjs';

const { createServerDevice } = await distImport('runtime/node.js');
const { conv2d, conv2dFlops, packConv2dWeights } = await distImport('kernels/conv2d.js');
const { createTensorBuffer } = await distImport('gpu/buffers.js');
const { PipelineCache, prepareCall, encodeCall, releaseCall } = await distImport('kernels/program.js');
const { float32ToFloat16Bits } = await distImport('half.js');
const { offeredConvVariants } = await distImport('kernels/conv2d-variants.js');

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64,128' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    precision: { type: 'string', default: 'f32' },
    kernels: { type: 'string', default: 'register-tile' },
  },
});

const leaky = { kind: 'leaky_relu', slope: 0.2 };
/** Each conv as Real-ESRGAN x4plus runs it; `at` is its resolution relative to the input. */
const CONVS = [
  { name: 'rdb.conv1 64→32', cin: 64, cout: 32, at: 1, activation: leaky },
  { name: 'rdb.conv2 96→32', cin: 96, cout: 32, at: 1, activation: leaky },
  { name: 'rdb.conv3 128→32', cin: 128, cout: 32, at: 1, activation: leaky },
  { name: 'rdb.conv4 160→32', cin: 160, cout: 32, at: 1, activation: leaky },
  { name: 'rdb.conv5 192→64 +0.2·y+x', cin: 192, cout: 64, at: 1, residual: true },
  { name: 'conv_up1 64→64 ↑2 read', cin: 64, cout: 64, at: 1, upsample: 2, activation: leaky },
  { name: 'conv_up2 64→64 ↑2 read', cin: 64, cout: 64, at: 2, upsample: 2, activation: leaky },
  { name: 'conv_last 64→3 (×4 size)', cin: 64, cout: 3, at: 4 },
];

function random(n, scale, seed) {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

const wgsr = await createServerDevice();
const { device } = wgsr;
const cache = new PipelineCache(device);
const timer = new GpuTimer(device);
console.log(`adapter: ${wgsr.adapter.summary}; timing: ${timer.method}`);

// Build every conv first (compiling its pipeline), then time them round-robin, with the peak
// measured at the start of each round: on a machine shared with other work, the fastest of
// several spread-out runs is the best estimate of what the hardware does, and the peak is
// estimated the same way so the ratio compares like with like.
const precisions = args.precision.split(',');
if (precisions.includes('f16') && !device.features.has('shader-f16')) throw new Error('this adapter has no shader-f16');
const overflow = createTensorBuffer(device, 4, 'overflow flag');

/** A [C, H, H] tensor of random values stored as `precision`. */
function tensor(precision, channels, height, seed) {
  const values = random(channels * height * height, 1, seed);
  const data = precision === 'f16' ? float32ToFloat16Bits(values) : values;
  const buffer = createTensorBuffer(device, data.byteLength);
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return { buffer, offset: 0, channels, height, width: height, ...(precision === 'f16' ? { half: { overflow } } : {}) };
}

const benches = [];
for (const size of args.sizes.split(',').map(Number)) {
  const kernelsAt = (p) => offeredConvVariants(device, p).map((v) => v.name).filter((n) => args.kernels === 'all' || args.kernels.split(',').includes(n));
  for (const [spec, precision, kernel] of CONVS.flatMap((c) => precisions.flatMap((p) => kernelsAt(p).map((k) => [c, p, k])))) {
    if (args.only && !spec.name.includes(args.only)) continue;
    const inH = size * spec.at;
    const outH = spec.upsample ? inH * spec.upsample : inH;
    const k = 3;
    const weights = packConv2dWeights(device, {
      weight: random(spec.cout * spec.cin * k * k, Math.sqrt(3 / (spec.cin * k * k)), 1),
      shape: [spec.cout, spec.cin, k, k],
      bias: random(spec.cout, 0.1, 2),
      label: spec.name,
    });
    const input = tensor(precision, spec.cin, inH, 3);
    const output = tensor(precision, spec.cout, outH, 5);
    const residual = spec.residual ? { alpha: 0.2, beta: 1, r1: tensor(precision, spec.cout, outH, 4) } : undefined;
    const desc = {
      input,
      inputTransform: spec.upsample ? { kind: 'upsample_nearest', factor: spec.upsample } : undefined,
      weights,
      output,
      activation: spec.activation,
      residual,
      label: spec.name,
    };
    const call = conv2d(desc, device.limits, kernel);
    const prepared = await prepareCall(cache, call);
    const buffers = [input.buffer, output.buffer, weights.buffer, residual?.r1.buffer];
    benches.push({ size, spec, precision, kernel, outH, call, prepared, flops: conv2dFlops(desc), buffers, times: [] });
  }
}

const peaks = [];
for (let round = 0; round < Number(args.rounds); round++) {
  peaks.push(await measurePeak(device));
  for (const b of benches) {
    const { ms, min, reps } = await timer.median((pass) => encodeCall(pass, b.prepared), { minReps: 2, maxReps: 5, budgetMs: 1000 });
    b.times.push({ ms, min, reps });
  }
}
const peakGflops = Math.max(...peaks.map((p) => p.bestGflops));
console.log(`vec4 FMA peak: ${peakGflops.toFixed(1)} GFLOPS (fastest of ${peaks.length} rounds; per round ${peaks.map((p) => p.bestGflops.toFixed(1)).join(', ')})\n`);

const rows = benches.map((b) => {
  const medians = b.times.map((t) => t.ms).sort((x, y) => x - y);
  const ms = medians[Math.floor(medians.length / 2)];
  const bestMs = Math.min(...b.times.map((t) => t.min));
  releaseCall(b.prepared);
  b.buffers.forEach((buffer) => buffer?.destroy());
  return {
    input: b.size,
    conv: b.spec.name,
    precision: b.precision,
    kernel: b.kernel,
    outSize: `${b.outH}×${b.outH}`,
    ms,
    bestMs,
    gflops: b.flops / ms / 1e6,
    bestGflops: b.flops / bestMs / 1e6,
    ofPeak: b.flops / bestMs / 1e6 / peakGflops,
    runs: b.times.reduce((n, t) => n + t.reps, 0),
    variant: b.call.variant.key,
  };
});

printTable(rows, [
  { key: 'input', title: 'input' },
  { key: 'conv', title: 'conv', align: 'left' },
  { key: 'precision', title: 'storage' },
  { key: 'kernel', title: 'kernel', align: 'left' },
  { key: 'outSize', title: 'size' },
  { key: 'ms', title: 'ms (median)', format: (v) => v.toFixed(2) },
  { key: 'bestMs', title: 'ms (best)', format: (v) => v.toFixed(2) },
  { key: 'gflops', title: 'GFLOPS (median)', format: (v) => v.toFixed(1) },
  { key: 'bestGflops', title: 'GFLOPS (best)', format: (v) => v.toFixed(1) },
  { key: 'ofPeak', title: 'best / peak', format: (v) => `${(v * 100).toFixed(0)}%` },
]);

const resultsDir = path.resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `kernels-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ adapter: wgsr.adapter, timing: timer.method, peakGflops, peaks, rows }, null, 2));
console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
device.destroy();
