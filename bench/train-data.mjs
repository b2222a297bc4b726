// The training data pipeline: batches/s at batch 16 × 32² LR patches, ×4 (HR 128²), for clean
// bicubic LR and for Real-ESRGAN's degradations; the degradation steps' share; the two JPEG
// codecs; batches made ahead in worker threads; blur on the CPU vs the batch_blur kernel on
// this adapter; and, for scale, the forward work of one training batch of SRVGGNetCompact
// (32 features, 10 convs) on the same adapter, alone and while workers make batches.
// Wall times on a shared machine move with its load; CPU times (this process, all threads) less.
// Run: npm run build && npm run bench:train-data   (BENCH_HR=folder to use your own photos)
import path from 'node:path';
import { distImport } from './lib/dist.mjs';

const { openTrainingSet, createPrefetchingSampler } = await distImport('runtime/node-train-data/index.js');
const { createPatchSampler } = await distImport('train/data/sampler.js');
const { Rng } = await distImport('rng.js');
const { jpegLossyCodec } = await distImport('train/degrade/jpeg-lossy.js');
const { jpegRoundTrip } = await distImport('io/jpeg-roundtrip.js');
const { filter2d } = await distImport('train/degrade/filter.js');
const { drawStageKernel, kernelOf } = await distImport('train/degrade/random-kernel.js');
const { REALESRGAN_DEFAULTS } = await distImport('train/degrade/params.js');
const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');
const { createTensorBuffer, readFloat32, uploadFloat32 } = await distImport('gpu/buffers.js');
const { BufferUsage } = await distImport('gpu/constants.js');
const { BATCH_BLUR_MAX_SIDE, batchBlur } = await distImport('kernels/batch-blur.js');
const { PipelineCache, prepareCall, encodeCall, releaseCall } = await distImport('kernels/program.js');

/** An aligned text table: headers, then rows of strings (first column left-aligned). */
function printTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((v, i) => (i === 0 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ');
  console.log(['', line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
}

const BATCH = 16;
const PATCH = 32;
const SCALE = 4;
const HR_FOLDER = process.env.BENCH_HR ?? path.resolve(import.meta.dirname, '../test/fixtures/images');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `fn` `times` times; wall and CPU ms per run. */
async function timed(times, fn) {
  const [w, c] = [performance.now(), cpuMs()];
  for (let i = 0; i < times; i++) await fn(i);
  return { wall: (performance.now() - w) / times, cpu: (cpuMs() - c) / times };
}

async function samplers(rows, steps) {
  for (const degrade of ['bicubic', 'realesrgan']) {
    const spec = { hr: HR_FOLDER, scale: SCALE, patch: PATCH, degrade };
    const set = await openTrainingSet(spec);
    const options = { scale: SCALE, patch: PATCH, batchSize: BATCH, seed: 0, degrade };
    const sampler = createPatchSampler(set.source, { ...options, timeSteps: degrade === 'realesrgan' ? (s, ms) => (steps[s] = (steps[s] ?? 0) + ms) : undefined });
    await sampler.next(); // warm the JIT
    for (const k of Object.keys(steps)) delete steps[k];
    const n = degrade === 'bicubic' ? 40 : 12;
    const t = await timed(n, () => sampler.next());
    for (const k of Object.keys(steps)) steps[k] /= n;
    rows.push([`${degrade}, this thread`, t.wall.toFixed(1), t.cpu.toFixed(1), (1000 / t.wall).toFixed(1)]);
    for (const workers of degrade === 'realesrgan' ? [1, 2] : []) {
      const pre = createPrefetchingSampler(set, spec, options, { workers });
      await pre.next();
      const p = await timed(n, () => pre.next());
      rows.push([`${degrade}, ${workers} worker${workers > 1 ? 's' : ''} ahead`, p.wall.toFixed(1), p.cpu.toFixed(1), (1000 / p.wall).toFixed(1)]);
      await pre.close();
    }
  }
}

function jpegCodecs(rows) {
  const rng = Rng.derive(3);
  for (const side of [32, 128]) {
    const rgb = Uint8Array.from({ length: side * side * 3 }, () => rng.int(0, 255));
    for (const [name, codec, times] of [
      ['libjpeg lossy steps (core)', jpegLossyCodec, 40],
      ['jpeg-js encode + decode', jpegRoundTrip, 6],
    ]) {
      const [w, c] = [performance.now(), cpuMs()];
      for (let i = 0; i < times; i++) codec(rgb, side, side, 30 + i);
      rows.push([`${name}, ${side}²`, ((performance.now() - w) / times).toFixed(2), ((cpuMs() - c) / times).toFixed(2)]);
    }
  }
}

/** First-stage blur of a batch: filter2d per image on the CPU vs batch_blur (upload, dispatch, read-back). */
async function blurCpuVsGpu(rows, device) {
  const rng = Rng.derive(1);
  const size = 128;
  const images = Array.from({ length: BATCH }, () => ({ channels: 3, height: size, width: size, data: Float32Array.from({ length: 3 * size * size }, () => rng.next()) }));
  const kernels = images.map(() => kernelOf(drawStageKernel(rng, REALESRGAN_DEFAULTS.kernelSizes, REALESRGAN_DEFAULTS.first.blur)));
  const cpu = await timed(3, () => images.forEach((im, n) => filter2d(im, kernels[n])));
  rows.push(['CPU filter2d (JavaScript)', cpu.wall.toFixed(0), cpu.cpu.toFixed(0)]);
  const m = BATCH_BLUR_MAX_SIDE;
  const taps = new Float32Array(BATCH * m * m);
  kernels.forEach((k, n) => {
    const s = (m - k.size) / 2;
    for (let i = 0; i < k.size; i++) for (let j = 0; j < k.size; j++) taps[n * m * m + (i + s) * m + j + s] = k.data[i * k.size + j];
  });
  const all = new Float32Array(BATCH * 3 * size * size);
  images.forEach((im, n) => all.set(im.data, n * im.data.length));
  const sides = device.createBuffer({ size: BATCH * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
  device.queue.writeBuffer(sides, 0, Uint32Array.from(kernels, (k) => k.size));
  const [input, output, tapsBuffer] = [createTensorBuffer(device, all.byteLength), createTensorBuffer(device, all.byteLength), uploadFloat32(device, taps)];
  const call = await prepareCall(new PipelineCache(device), batchBlur({ input, output, taps: tapsBuffer, sides, batch: BATCH, channels: 3, height: size, width: size }, device.limits));
  const once = async () => {
    device.queue.writeBuffer(input, 0, all);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeCall(pass, call);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await readFloat32(device, output, 0, all.length);
  };
  await once();
  const gpu = await timed(3, once);
  rows.push(['batch_blur kernel (upload + dispatch + read-back)', gpu.wall.toFixed(0), gpu.cpu.toFixed(0)]);
  releaseCall(call);
  for (const b of [input, output, tapsBuffer, sides]) b.destroy();
}

/** SRVGGNetCompact 32 features, 10 convs, ×4, random weights (the real shapes). */
function srvgg() {
  const rng = Rng.derive(5);
  const sd = new Map();
  const tensor = (shape, scale) => ({ shape, dtype: 'float32', data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale) });
  const conv = (k, out, inp) => {
    sd.set(`body.${k}.weight`, tensor([out, inp, 3, 3], 1 / Math.sqrt(inp * 9)));
    sd.set(`body.${k}.bias`, tensor([out], 0.01));
  };
  conv(0, 32, 3);
  sd.set('body.1.weight', tensor([32], 0.25));
  for (let i = 0; i < 10; i++) {
    conv(2 + 2 * i, 32, 32);
    sd.set(`body.${3 + 2 * i}.weight`, tensor([32], 0.25));
  }
  conv(22, 3 * SCALE * SCALE, 32);
  return writeSafetensors(sd);
}

/** The forward passes of one batch (16 tiles of 32²) — a training step does these and about twice as much again. */
async function forwardWork(rows, device) {
  const up = await createUpscaler(srvgg(), { device });
  const input = { shape: [1, 3, PATCH, PATCH], data: Float32Array.from({ length: 3 * PATCH * PATCH }, (_, i) => (i % 251) / 251) };
  const batch = async () => {
    for (let i = 0; i < BATCH; i++) await up.forward(input);
  };
  await batch();
  const alone = await timed(3, batch);
  rows.push(['SRVGG 32/10 forward ×16 (32²), alone', alone.wall.toFixed(0), alone.cpu.toFixed(0), '']);
  const spec = { hr: HR_FOLDER, scale: SCALE, patch: PATCH, degrade: 'realesrgan' };
  const set = await openTrainingSet(spec);
  const pre = createPrefetchingSampler(set, spec, { scale: SCALE, patch: PATCH, batchSize: BATCH, seed: 0, degrade: 'realesrgan' }, { workers: 1 });
  await pre.next();
  let made = 0;
  const t0 = performance.now();
  const during = await timed(3, async () => {
    const pending = pre.next().then(() => made++);
    await batch();
    await pending;
  });
  rows.push(['…, with a worker making a realesrgan batch meanwhile', during.wall.toFixed(0), during.cpu.toFixed(0), `${made} batches in ${((performance.now() - t0) / 1000).toFixed(1)} s`]);
  await pre.close();
  up.destroy();
}

async function main() {
  const { device, adapter } = await createServerDevice();
  console.log(`adapter: ${adapter.summary}; images: ${HR_FOLDER}; batch ${BATCH} × ${PATCH}² LR, ×${SCALE}`);
  const rows = [];
  const steps = {};
  await samplers(rows, steps);
  printTable(['batches', 'wall ms/batch', 'CPU ms/batch', 'batches/s'], rows);
  const total = Object.values(steps).reduce((a, b) => a + b, 0);
  printTable(
    ['realesrgan step', 'ms/batch (wall)', 'share'],
    Object.entries(steps).map(([s, ms]) => [s, ms.toFixed(1), `${((100 * ms) / total).toFixed(0)} %`]),
  );
  const codecs = [];
  jpegCodecs(codecs);
  printTable(['JPEG round trip', 'wall ms/call', 'CPU ms/call'], codecs);
  const blur = [];
  await blurCpuVsGpu(blur, device);
  printTable([`first blur, ${BATCH} × 3 × 128², random kernels`, 'wall ms', 'CPU ms (all threads)'], blur);
  const work = [];
  await forwardWork(work, device);
  printTable(['GPU work of one batch', 'wall ms', 'CPU ms (all threads)', 'batches made'], work);
  device.destroy();
}

await main();
process.exit(0);
