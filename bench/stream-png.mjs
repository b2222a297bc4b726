// Streamed PNG output against the whole-image path (issue 23, item 5): one run of one mode per
// process, so that /usr/bin/time -v gives each its own peak RSS. A synthetic W×H RGB input is
// upscaled with the tiny SRVGGNetCompact fixture (cheap on any device; what is measured is the
// output side), then written either whole (upscale + writeImage: pngjs) or streamed
// (upscaleRows + PngRowWriter). Prints the times and the process's peak RSS as seen by Node.
//
// Run: npm run build && /usr/bin/time -v node bench/stream-png.mjs whole|stream [W H] [tile] [outscale]
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';

const { createUpscaler, writeImage, PngRowWriter, decodeImage } = await distImport('node.js');
const [mode = 'stream', W = '768', H = '1024', tile = '256', outscale] = process.argv.slice(2);
const ROOT = path.resolve(import.meta.dirname, '..');
const width = Number(W);
const height = Number(H);
const data = new Uint8Array(width * height * 3);
for (let i = 0; i < data.length; i++) data[i] = (i * 7 + ((i / (width * 3)) | 0) * 13 + ((i * 2654435761) >>> 28)) & 255;
const image = { width, height, channels: 3, bitDepth: 8, data };
const up = await createUpscaler(readFileSync(path.join(ROOT, 'test/fixtures/models/srvgg_x4_tiny/model.pth')), { tile: Number(tile) });
const out = path.join(tmpdir(), `wgsr-stream-png-${process.pid}.png`);
const call = outscale ? { outscale: Number(outscale) } : {};
const t0 = performance.now();
let size;
let encodeMs = 0;
if (mode === 'whole') {
  const result = await up.upscale(image, call);
  const t1 = performance.now();
  await writeImage(out, result);
  encodeMs = performance.now() - t1;
  size = result;
} else {
  const writer = new PngRowWriter(out);
  size = await up.upscaleRows(image, writer, call);
  await writer.finish();
}
const totalMs = performance.now() - t0;
const bytes = statSync(out).size;
if (process.env.CHECK) {
  const decoded = decodeImage(readFileSync(out), out, { maxPixels: 1e9 });
  console.log(`decoded ${decoded.width}×${decoded.height}, sha-like sum ${decoded.data.reduce((a, v, i) => (a + v * ((i % 65521) + 1)) % 2147483647, 0)}`);
}
rmSync(out);
up.destroy();
console.log(
  `${mode}: ${width}×${height} → ${size.width}×${size.height}, total ${(totalMs / 1000).toFixed(2)} s` +
    (mode === 'whole' ? ` (PNG encode + write ${(encodeMs / 1000).toFixed(2)} s)` : '') +
    `, file ${(bytes / 1e6).toFixed(1)} MB, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
