// Scaling benchmark (issue 5, "Scaling" and "Memory"):
//  (a) output megapixels per second for square images (128², 256², 512²) through up.upscale with
//      the automatic tile size, timing the whole upscale (median after a warm-up), with the tile
//      count it chose;
//  (b) ms per tile as the tile side grows, through up.forward on that size (median after a
//      warm-up), with µs per input pixel and the activation bytes the executor really allocated
//      for that tile against the planner's minimum.
// Writes bench/results/scaling-<timestamp>.json and a chart of (b), scaling-<timestamp>.png.
//
// Run: npm run build && npm run bench:scaling [-- --model <file>]
//   --model <file> or BENCH_MODEL: a .pth / .safetensors (default: the bundled
//     models/default/wgsr-compact-x4.safetensors); "synthetic-x4plus" for RRDBNet at x4plus size
//     with random weights (slow: a 512² image takes about an hour on a CPU-emulated adapter)
//   BENCH_IMAGE_SIZES=128,256,512   BENCH_TILE_SIDES=32,48,64,96,128,192,256
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { countingDevice } from './lib/counting-device.mjs';
import { distImport } from './lib/dist.mjs';
import { Canvas, linePanel, textWidth } from './lib/plot.mjs';
import { printTable } from './lib/table.mjs';

const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');
const { syntheticRRDBNet } = await distImport('models/synthetic.js');

const BUNDLED = path.resolve(import.meta.dirname, '../models/default/wgsr-compact-x4.safetensors');
const ACTIVATIONS = /^activations/;
const MiB = 2 ** 20;

/** Median wall time of `run` after one warm-up: at least `minReps`, more (up to `maxReps`) while within `budgetMs`. */
async function medianMs(run, { minReps, maxReps, budgetMs }) {
  await run();
  const times = [];
  let total = 0;
  while (times.length < minReps || (times.length < maxReps && total < budgetMs)) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
    total += times.at(-1);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], reps: times.length };
}

/** A deterministic 8-bit RGB test image: a gradient, hard edges and texture. */
function testImage(size) {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      data[i] = (x * 255) / size;
      data[i + 1] = ((x ^ y) & 16 ? 200 : 40) + ((x * 7 + y * 13) % 31);
      data[i + 2] = 128 + 100 * Math.sin((x + 2 * y) / 9);
    }
  }
  return { width: size, height: size, channels: 3, bitDepth: 8, data };
}

function loadModel(choice) {
  if (choice === 'synthetic-x4plus') return { name: 'synthetic RRDBNet x4plus (random weights)', bytes: writeSafetensors(syntheticRRDBNet()) };
  const file = choice ?? BUNDLED;
  return { name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) };
}

async function main() {
  const { values } = parseArgs({ options: { model: { type: 'string' } } });
  const imageSizes = (process.env.BENCH_IMAGE_SIZES ?? '128,256,512').split(',').map(Number);
  const tileSides = (process.env.BENCH_TILE_SIDES ?? '32,48,64,96,128,192,256').split(',').map(Number).sort((a, b) => a - b);
  const { device, adapter } = await createServerDevice();
  console.log(`adapter: ${adapter.summary}`);
  // Other work on the machine slows every number here: the load average goes into the results.
  const loadBefore = loadavg();
  const model = loadModel(values.model ?? process.env.BENCH_MODEL);
  const counting = countingDevice(device);
  const up = await createUpscaler(model.bytes, { device: counting.device });
  const { arch, scale } = up.info;
  console.log(`model: ${model.name} (${arch} ×${scale}), f32`);

  // (b) One tile of each side, first: the executor keeps the buffers of the largest input it
  // has run, so with sides growing from a fresh upscaler the activations alive after a side's
  // first run are exactly what it allocated for that side.
  const tiles = [];
  for (const side of tileSides) {
    const input = { shape: [1, up.info.inChannels, side, side], data: Float32Array.from({ length: up.info.inChannels * side * side }, (_, i) => (i % 251) / 251) };
    const { ms, reps } = await medianMs(() => up.forward(input), { minReps: 3, maxReps: 10, budgetMs: 15_000 });
    const memory = up.memory(side, side);
    const allocated = counting.liveBytes(ACTIVATIONS);
    tiles.push({ side, ms, usPerPixel: (ms * 1000) / (side * side), reps, allocatedBytes: allocated, plannedBytes: memory.planned, minimumBytes: memory.minimum });
    console.log(`  tile ${side}×${side}: ${ms.toFixed(1)} ms`);
  }
  console.log();
  printTable(tiles, [
    { key: 'side', title: 'tile', align: 'left', format: (v) => `${v}×${v}` },
    { key: 'ms', title: 'ms/tile', format: (v) => v.toFixed(1) },
    { key: 'usPerPixel', title: 'µs/input px', format: (v) => v.toFixed(2) },
    { key: 'allocatedBytes', title: 'allocated MiB', format: (v) => (v / MiB).toFixed(2) },
    { key: 'minimumBytes', title: 'minimum MiB', format: (v) => (v / MiB).toFixed(2) },
    { key: 'allocatedBytes', title: 'ratio', format: (v, r) => (v / r.minimumBytes).toFixed(3) },
    { key: 'reps', title: 'reps' },
  ]);

  // (a) Whole images, automatic tile size.
  const images = [];
  for (const size of imageSizes) {
    const image = testImage(size);
    let tileCount = 0;
    const onProgress = (_done, total) => (tileCount = total);
    const { ms, reps } = await medianMs(() => up.upscale(image, { onProgress }), { minReps: 2, maxReps: 5, budgetMs: 30_000 });
    const outPixels = size * scale * (size * scale);
    images.push({ size, tiles: tileCount, ms, reps, outputMegapixelsPerSecond: outPixels / 1e6 / (ms / 1000) });
    console.log(`  ${size}×${size}: ${(ms / 1000).toFixed(2)} s, ${tileCount} tile(s)`);
  }
  console.log();
  printTable(images, [
    { key: 'size', title: 'input', align: 'left', format: (v) => `${v}×${v}` },
    { key: 'tiles', title: 'tiles (auto)' },
    { key: 'ms', title: 'ms/image', format: (v) => v.toFixed(0) },
    { key: 'outputMegapixelsPerSecond', title: 'output MP/s', format: (v) => v.toFixed(3) },
    { key: 'reps', title: 'reps' },
  ]);
  up.destroy();

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `scaling-${stamp}.json`);
  writeFileSync(json, JSON.stringify({ adapter, model: model.name, arch, scale, precision: 'f32', loadAverage: { before: loadBefore, after: loadavg() }, images, tiles }, null, 2));
  const png = path.join(dir, `scaling-${stamp}.png`);
  chart({ model: `${model.name} (${arch} x${scale})`, adapter: adapter.summary, tiles }).writePng(png);
  console.log(`wrote ${path.relative(process.cwd(), json)} and ${path.relative(process.cwd(), png)}`);
  device.destroy();
}

/** Two panels: time per tile and time per input pixel, both against the tile side. */
function chart({ model, adapter, tiles }) {
  const seconds = Math.max(...tiles.map((t) => t.ms)) >= 10_000;
  const title = `WGSR SCALING: ${model}`;
  const subtitle = `ADAPTER: ${adapter}   F32, MEDIAN WALL TIME PER FORWARD (UPLOAD AND READ-BACK INCLUDED)`;
  const width = Math.max(1100, textWidth(subtitle) + 40);
  const canvas = new Canvas(width, 560);
  canvas.text(title, width / 2, 14, { align: 'center', scale: 3 });
  canvas.text(subtitle, width / 2, 40, { align: 'center' });
  const panel = { y: 70, w: width / 2 - 10, h: 480 };
  linePanel(canvas, { x: 10, ...panel }, {
    title: seconds ? 'SECONDS PER TILE' : 'MS PER TILE',
    xLabel: 'TILE SIDE (INPUT PIXELS)',
    yLabel: seconds ? 'S / TILE' : 'MS / TILE',
    series: [{ points: tiles.map((t) => [t.side, seconds ? t.ms / 1000 : t.ms]), color: [31, 119, 180] }],
  });
  linePanel(canvas, { x: width / 2 + 5, ...panel }, {
    title: 'µS PER INPUT PIXEL',
    xLabel: 'TILE SIDE (INPUT PIXELS)',
    yLabel: 'µS / PIXEL',
    series: [{ points: tiles.map((t) => [t.side, t.usPerPixel]), color: [214, 39, 40] }],
  });
  return canvas;
}

await main();
