// Test-time augmentation (issue 24): PSNR/SSIM with and without TTA on the held-out photos of
// training/DATA.md, as `wgsr eval -m` scores them (LR = MATLAB bicubic ×1/scale of the
// mod-cropped HR; Y channel, scale-pixel border, BasicSR conventions), and the time factor.
//
// Run: npm run build && node bench/tta.mjs [--hr DIR] [--model FILE]
//   --hr: a folder with the held-out photos (default: where Debian puts them, as training/ reads
//         them: python3-skimage's chelsea.png and coffee.png, mate-backgrounds' Dune.jpg,
//         GreenMeadow.jpg, TwoWings.jpg; `apt-get download` + `dpkg -x` is enough)
//   --model: default the bundled models/default/wgsr-compact-x4.safetensors
// Writes bench/results/tta-<timestamp>.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';

const { createUpscaler, readImage } = await distImport('node.js');
const { imresize, modCrop, scorePair, dropAlpha, meanScore } = await distImport('eval/index.js');

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { hr: { type: 'string' }, model: { type: 'string' } } });
const S = '/usr/lib/python3/dist-packages/skimage/data';
const M = '/usr/share/backgrounds/mate/nature';
const HELD_OUT = [`${S}/chelsea.png`, `${S}/coffee.png`, `${M}/Dune.jpg`, `${M}/GreenMeadow.jpg`, `${M}/TwoWings.jpg`];
const photos = values.hr ? HELD_OUT.map((p) => path.join(values.hr, path.basename(p))) : HELD_OUT;
const missing = photos.filter((p) => !existsSync(p));
if (missing.length) {
  console.error(`missing held-out photos: ${missing.join(', ')} (see training/DATA.md; give --hr DIR)`);
  process.exit(1);
}
const modelPath = values.model ?? path.join(ROOT, 'models/default/wgsr-compact-x4.safetensors');
const up = await createUpscaler(readFileSync(modelPath));
const scale = up.info.scale;
console.log(`adapter ${up.adapter?.summary}; model ${path.basename(modelPath)} ×${scale}`);

/** The second of two runs: a new image size prepares its dispatches (and TTA its transposed shape) once. */
const timed = async (run) => {
  await run();
  const t = performance.now();
  const out = await run();
  return { out, seconds: (performance.now() - t) / 1000 };
};
// Warm-up (pipeline compilation, pacing) on a small image, with and without TTA.
const warm = imresize(modCrop(dropAlpha(await readImage(photos[0])), scale), 1 / (scale * 4));
await up.upscale(warm);
await up.upscale(warm, { tta: true });

const rows = [];
for (const file of photos) {
  const hr = modCrop(dropAlpha(await readImage(file)), scale);
  const lr = imresize(hr, 1 / scale);
  const plain = await timed(() => up.upscale(lr));
  const tta = await timed(() => up.upscale(lr, { tta: true }));
  const names = (what) => ({ sr: `${path.basename(file)} (${what})`, hr: file });
  const row = {
    image: path.basename(file),
    lr: `${lr.width}×${lr.height}`,
    plain: scorePair(plain.out, hr, scale, names('plain')),
    tta: scorePair(tta.out, hr, scale, names('tta')),
    plainSeconds: plain.seconds,
    ttaSeconds: tta.seconds,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
up.destroy();

const mean = { plain: meanScore(rows.map((r) => r.plain)), tta: meanScore(rows.map((r) => r.tta)) };
const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
rows.push({ image: 'mean', lr: '', plain: mean.plain, tta: mean.tta, plainSeconds: sum('plainSeconds'), ttaSeconds: sum('ttaSeconds') });
printTable(rows, [
  { key: 'image', title: 'image', align: 'left' },
  { key: 'lr', title: 'LR' },
  { key: 'plain', title: 'PSNR / SSIM', format: (s) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` },
  { key: 'tta', title: 'TTA PSNR / SSIM', format: (s) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` },
  { key: 'tta', title: 'Δ PSNR', format: (s, r) => (s.psnr - r.plain.psnr).toFixed(3) },
  { key: 'plainSeconds', title: 's', format: (v) => v.toFixed(2) },
  { key: 'ttaSeconds', title: 'TTA s', format: (v) => v.toFixed(2) },
  { key: 'ttaSeconds', title: 'factor', format: (v, r) => (v / r.plainSeconds).toFixed(2) },
]);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const out = path.join(ROOT, `bench/results/tta-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), model: path.basename(modelPath), rows }, null, 2));
console.log(`wrote ${path.relative(ROOT, out)}`);
