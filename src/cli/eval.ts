import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { isWgsrError, WgsrError } from '../errors.js';
import { dropAlpha, imresize, matchSizes, meanScore, modCrop, pairByName, scorePair, type Score } from '../eval/index.js';
import { IMAGE_EXTENSIONS } from '../eval/pairing.js';
import type { Image } from '../image/types.js';
import { readImage } from '../io/index.js';
import { readModelPath } from '../runtime/model-path.js';
import { createServerDevice } from '../runtime/node.js';
import { createUpscaler, type Upscaler } from '../upscaler.js';
import { numberArg, parseCommandArgs, type Command, type CommandIO } from './command.js';
import { EXIT } from './exit-codes.js';
import { tileProgress } from './progress.js';
import { onSignals } from './signals.js';
import { writeFileAtomic } from '../io/atomic.js';
import { sameFolder } from '../io/path-identity.js';
import { encodePng } from '../io/png.js';
import { degradedEvalImage } from '../train/degrade/eval-set.js';

const USAGE = `Usage: wgsr eval --hr <dir> (--sr <dir> | -m model [--lr <dir> | --degrade realesrgan]) [--scale N] [--json] [--tile N]
                 [--dni-model F --denoise-strength S] [-x]

  --hr DIR       ground-truth images (PNG/JPEG, 8-bit)
  --sr DIR       super-resolved images to score (needs --scale)
  -m, --model F  score this model instead (.pth, .safetensors, or ncnn's .param beside its
                 .bin): LR = MATLAB bicubic ×1/scale of the HR image (antialiased, rounded to
                 8 bits; HR mod-cropped to a multiple of the scale), then the model through the
                 image pipeline; plain MATLAB bicubic ×scale of the same LR is scored too, as a
                 baseline
  --lr DIR       with -m: use these LR images instead of making them
  --degrade realesrgan
                 with -m: LR = Real-ESRGAN's degradations of the HR image instead, drawn from
                 --seed and the file's name: the degraded LR wgsr train --val scores with the
                 run's seed (the baseline is then bicubic ×scale of that LR)
  --seed N[,N…]  the degradations' seed (default 0); several seeds score each image on each
                 seed's draw (rows NAME (seed N)), and the mean is over all of them: one draw
                 of a few photos moves a mean by tenths of a dB
  --save-lr DIR  with -m: also write each LR image scored, as DIR/NAME.png (to score them
                 elsewhere); with several seeds as DIR/seed-N/NAME.png
  --dni-model F --denoise-strength S
                 with -m: score the blend S·model + (1 − S)·F of the two files' weights, as
                 wgsr upscale --dni-model runs it (Real-ESRGAN's denoise strength)
  --scale N      the upscaling factor; the border cropped is N pixels (default with -m: the model's)
  --tile N       tile size for the model (default: automatic)
  -x, --tta      with -m: score the model's test-time augmentation, the mean over 8 flips and
                 rotations, as wgsr upscale -x runs it (~8× slower)
  --json         print one JSON object:
                 { images: [{ name, seed?, psnr, ssim, bicubic? }], mean: { psnr, ssim, bicubic? },
                   scale, crop_border, model?, dni_model?, denoise_strength?, tta? }
                 (an infinite PSNR — identical images — is null)

Metrics follow BasicSR (calculate_psnr / calculate_ssim, test_y_channel=True, crop_border=scale):
Y of BT.601 YCbCr (16..235, not rounded), PSNR with peak 255, SSIM with an 11×11 Gaussian window
(σ 1.5) over the valid region. Alpha is ignored; two gray images compare their gray values.
Pairing by base name: HR NAME.png ↔ NAME.*, NAME_out.*, NAMEx4.* or NAME_x4.* (any number).
Sizes may differ by fewer than --scale pixels per side; the larger image is cropped to the
shared top-left region (a note says so). Larger differences are an error.

Ctrl-C (SIGINT/SIGTERM) stops between tiles and prints no scores (exit 130/143); the --save-lr
images written by then are whole.`;

interface Row {
  name: string;
  /** The draw of the degradations this row was scored on (--degrade). */
  seed?: number;
  score: Score;
  bicubic?: Score;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'PSNR/SSIM of SR images or of a model against HR images (BasicSR conventions)',
  usage: USAGE,
  async run(argv, io) {
    const { values: v, positionals } = parseCommandArgs('eval', argv, [
      { name: 'hr', kind: 'string' },
      { name: 'sr', kind: 'string' },
      { name: 'lr', kind: 'string' },
      { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
      { name: 'scale', kind: 'string', short: 's' },
      { name: 'tile', kind: 'string', short: 't' },
      { name: 'degrade', kind: 'string' },
      { name: 'seed', kind: 'string' },
      { name: 'save-lr', kind: 'string' },
      { name: 'dni-model', kind: 'string' },
      { name: 'denoise-strength', kind: 'string', aliases: ['-dn'] },
      { name: 'tta', kind: 'flag', short: 'x' },
      { name: 'json', kind: 'flag' },
    ]);
    if (positionals.length) throw new WgsrError('BAD_ARGUMENT', `unexpected argument "${positionals[0]}" (see wgsr eval --help)`);
    const hrDir = v.hr as string | undefined;
    const srDir = v.sr as string | undefined;
    const lrDir = v.lr as string | undefined;
    const modelPath = v.model as string | undefined;
    if (!hrDir) throw new WgsrError('BAD_ARGUMENT', 'give the ground-truth folder with --hr (see wgsr eval --help)');
    if ((srDir === undefined) === (modelPath === undefined)) throw new WgsrError('BAD_ARGUMENT', 'give either --sr <dir> or -m <model>, not both and not neither');
    if (lrDir !== undefined && modelPath === undefined) throw new WgsrError('BAD_ARGUMENT', '--lr needs -m <model> (with --sr the images are already upscaled)');
    const scaleArg = numberArg(v.scale as string | undefined, '--scale', (n) => Number.isInteger(n) && n >= 1 && n <= 16, 'a whole number in 1..16');
    const tile = numberArg(v.tile as string | undefined, '--tile', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
    const degrade = v.degrade as string | undefined;
    if (degrade !== undefined && degrade !== 'realesrgan') throw new WgsrError('BAD_ARGUMENT', `--degrade ${degrade}: realesrgan is the one degradation eval makes (leave it out for MATLAB bicubic LR)`);
    if (degrade !== undefined && (modelPath === undefined || lrDir !== undefined)) throw new WgsrError('BAD_ARGUMENT', '--degrade makes the LR images from --hr for -m <model>; it goes with neither --sr nor --lr');
    const seeds = seedList(v.seed as string | undefined);
    if (seeds !== undefined && degrade === undefined) throw new WgsrError('BAD_ARGUMENT', '--seed draws the degradations of --degrade realesrgan; give that too');
    const saveLr = v['save-lr'] as string | undefined;
    if (saveLr !== undefined && modelPath === undefined) throw new WgsrError('BAD_ARGUMENT', '--save-lr writes the LR images a model is scored on; it needs -m <model>');
    const dniPath = v['dni-model'] as string | undefined;
    const strength = numberArg(v['denoise-strength'] as string | undefined, '--denoise-strength', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
    if ((dniPath === undefined) !== (strength === undefined)) throw new WgsrError('BAD_ARGUMENT', '--dni-model and --denoise-strength go together: the second model of the blend and the share of -m (0..1)');
    if (dniPath !== undefined && modelPath === undefined) throw new WgsrError('BAD_ARGUMENT', '--dni-model blends a second model into -m <model>; give -m too');
    const dni = dniPath === undefined ? undefined : { path: dniPath, strength: strength! };
    const tta = v.tta === true;
    if (tta && modelPath === undefined) throw new WgsrError('BAD_ARGUMENT', '--tta runs a model over flips and rotations of its input; it needs -m <model> (with --sr the images are already upscaled)');
    const json = v.json === true;

    const hrNames = listImages(hrDir, '--hr');
    if (srDir !== undefined && scaleArg === undefined) throw new WgsrError('BAD_ARGUMENT', 'give --scale N with --sr: it sets the border cropped before scoring (N pixels, BasicSR crop_border=scale)');
    // Ctrl-C stops between tiles (a --save-lr file being written is finished, never left half)
    // and prints no scores: a mean over some of the images would read as the whole folder's.
    const controller = new AbortController();
    const signals = onSignals(() => controller.abort());
    let scored: { rows: Row[]; scale: number };
    try {
      scored =
        srDir !== undefined
          ? await scoreFolder(srDir, hrDir, hrNames, scaleArg!, io, controller.signal)
          : await evalModel({ path: modelPath!, dni, tta }, hrDir, hrNames, { lrDir, degradeSeeds: degrade ? (seeds ?? [0]) : undefined, saveLr }, scaleArg, tile, io, controller.signal);
    } catch (e) {
      if (!(isWgsrError(e) && e.code === 'ABORTED')) throw e;
      io.stderr('wgsr eval: cancelled; no scores printed');
      return signals.received() ?? EXIT.interrupted;
    } finally {
      signals.dispose();
    }
    const { rows, scale } = scored;

    const mean = meanScore(rows.map((r) => r.score));
    const meanBicubic = rows.every((r) => r.bicubic) ? meanScore(rows.map((r) => r.bicubic!)) : undefined;
    if (json) {
      const out = {
        images: rows.map((r) => ({ name: r.name, ...(r.seed !== undefined ? { seed: r.seed } : {}), ...jsonScore(r.score), ...(r.bicubic ? { bicubic: jsonScore(r.bicubic) } : {}) })),
        mean: { ...jsonScore(mean), ...(meanBicubic ? { bicubic: jsonScore(meanBicubic) } : {}) },
        scale,
        crop_border: scale,
        ...(modelPath !== undefined ? { model: basename(modelPath) } : {}),
        ...(dni ? { dni_model: basename(dni.path), denoise_strength: dni.strength } : {}),
        ...(tta ? { tta: true } : {}),
      };
      io.stdout(JSON.stringify(out));
    } else {
      printTable(rows, mean, meanBicubic, scale, io);
    }
    return 0;
  },
};

/** Where a model's LR images come from: the --lr folder, Real-ESRGAN's degradations (one draw per seed), or else MATLAB bicubic. */
interface LrSource {
  lrDir?: string;
  degradeSeeds?: readonly number[];
  saveLr?: string;
}

/** --seed N[,N…]: whole numbers ≥ 0, each once. */
function seedList(arg: string | undefined): number[] | undefined {
  if (arg === undefined) return undefined;
  const seeds = arg.split(',').map((p) => numberArg(p, '--seed', (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number ≥ 0 or a comma-separated list of them')!);
  const repeated = seeds.find((n, i) => seeds.indexOf(n) !== i);
  if (repeated !== undefined) throw new WgsrError('BAD_ARGUMENT', `--seed ${arg}: seed ${repeated} is given twice; each draw would be scored twice`);
  return seeds;
}

/** The model scored: a file, or the blend of two (Real-ESRGAN's DNI); with or without test-time augmentation. */
interface ScoredModel {
  path: string;
  dni?: { path: string; strength: number };
  tta: boolean;
}

/** --sr: upscaled images already made, scored against --hr by name. */
async function scoreFolder(srDir: string, hrDir: string, hrNames: string[], scale: number, io: CommandIO, signal: AbortSignal): Promise<{ rows: Row[]; scale: number }> {
  const rows: Row[] = [];
  for (const p of pairByName(hrNames, listImages(srDir, '--sr'), srDir)) {
    if (signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
    const names = { sr: join(srDir, p.other), hr: join(hrDir, p.hr) };
    const sized = matchSizes(await read8bit(names.sr), await read8bit(names.hr), scale, names);
    if (sized.cropped) io.stderr(`wgsr eval: note: ${p.hr}: sizes differ by a few pixels; both cropped to ${sized.hr.width}×${sized.hr.height}`);
    rows.push({ name: p.hr, score: scorePair(sized.sr, sized.hr, scale, names) });
  }
  return { rows, scale };
}

async function evalModel(
  { path: modelPath, dni, tta }: ScoredModel,
  hrDir: string,
  hrNames: string[],
  { lrDir, degradeSeeds, saveLr }: LrSource,
  scaleArg: number | undefined,
  tile: number | undefined,
  io: CommandIO,
  signal: AbortSignal,
): Promise<{ rows: Row[]; scale: number }> {
  const bytes = readModelPath(modelPath);
  const blend = dni && { bytes: readModelPath(dni.path), strength: dni.strength, source: basename(dni.path) };
  const lrPairs = lrDir === undefined ? undefined : pairByName(hrNames, listImages(lrDir, '--lr'), lrDir);
  // One LR image per HR image, or one per HR image and seed (written to a folder per seed).
  const draws: readonly (number | undefined)[] = degradeSeeds ?? [undefined];
  const lrFolder = (seed: number | undefined) => (seed === undefined || draws.length === 1 ? saveLr! : join(saveLr!, `seed-${seed}`));
  if (saveLr !== undefined) {
    // One folder per draw (the seeds are distinct), all checked before any is made.
    const folders = draws.map(lrFolder);
    for (const folder of folders) {
      if (sameFolder(folder, hrDir) || (lrDir !== undefined && sameFolder(folder, lrDir))) throw new WgsrError('BAD_ARGUMENT', `--save-lr ${saveLr} would write into the input folder ${folder}; give another one (inputs are never overwritten)`);
    }
    for (const folder of folders) mkdirSync(folder, { recursive: true });
  }
  const { device, adapter } = await createServerDevice();
  io.stderr(`wgsr: adapter ${adapter.summary}`);
  let up: Upscaler | undefined;
  try {
    up = await createUpscaler(bytes, { device, tile, source: basename(modelPath), ...(blend ? { dni: blend } : {}) });
    const scale = up.info.scale;
    if (scaleArg !== undefined && scaleArg !== scale) {
      throw new WgsrError('BAD_ARGUMENT', `--scale ${scaleArg} does not match the model's scale ×${scale}; leave --scale out or pick the right model`);
    }
    const blendNote = dni ? ` (denoise strength ${dni.strength}, with ${basename(dni.path)})` : '';
    io.stderr(`wgsr: model ${basename(modelPath)}${blendNote}: ${up.info.arch} ×${scale}${tta ? ', test-time augmentation (mean of 8 flips/rotations)' : ''}`);
    const rows: Row[] = [];
    let done = 0;
    for (let i = 0; i < hrNames.length; i++) {
      if (signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
      const hrPath = join(hrDir, hrNames[i]!);
      let hr = dropAlpha(await read8bit(hrPath));
      let givenLr: Image | undefined;
      if (lrPairs) {
        const lrPath = join(lrDir!, lrPairs[i]!.other);
        const lr = dropAlpha(await read8bit(lrPath));
        givenLr = lr;
        // The HR image must be the LR size times the scale, up to a mod-crop of fewer than `scale` pixels.
        const expected = { ...lr, width: lr.width * scale, height: lr.height * scale };
        const sized = matchSizes(expected, hr, scale, { sr: `${lrPath} ×${scale}`, hr: hrPath });
        if (sized.hr.width !== expected.width || sized.hr.height !== expected.height) {
          throw new WgsrError('BAD_IMAGE', `${lrPath} ×${scale} is ${expected.width}×${expected.height}, larger than ${hrPath} (${hr.width}×${hr.height}); check the pairing and the model's scale`);
        }
        hr = sized.hr;
      } else {
        hr = modCrop(hr, scale);
        if (hr.width === 0 || hr.height === 0) throw new WgsrError('BAD_IMAGE', `${hrPath} is smaller than the scale ×${scale}`);
      }
      for (const seed of draws) {
        if (signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
        // degradedEvalImage crops and converts as above (RGB, multiple of the scale).
        const { hr: target, lr } = seed !== undefined ? await degradedEvalImage(hrNames[i]!, hr, { scale, seed }) : { hr, lr: givenLr ?? imresize(hr, 1 / scale) };
        if (saveLr !== undefined) {
          await writeFileAtomic(join(lrFolder(seed), `${basename(hrNames[i]!, extname(hrNames[i]!))}.png`), encodePng(lr));
        }
        const label = `${hrNames[i]}${draws.length > 1 ? ` seed ${seed}` : ''} (${++done}/${hrNames.length * draws.length})`;
        // Seconds to minutes per photo for a large model on a slow adapter: show the tiles as they go.
        const sr = await up.upscale(lr, { signal, tta, onProgress: tileProgress(label, io) });
        const bicubic = imresize(lr, scale);
        rows.push({
          name: hrNames[i]!,
          ...(seed !== undefined ? { seed } : {}),
          score: scorePair(sr, target, scale, { sr: `${hrNames[i]} (model output)`, hr: hrPath }),
          bicubic: scorePair(bicubic, target, scale, { sr: `${hrNames[i]} (bicubic)`, hr: hrPath }),
        });
      }
    }
    return { rows, scale };
  } finally {
    up?.destroy();
    device.destroy();
  }
}

function listImages(dir: string, flag: string): string[] {
  if (!existsSync(dir)) throw new WgsrError('IO', `${flag} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new WgsrError('IO', `${flag} ${dir} is a file; give a folder of images`);
  const names = readdirSync(dir)
    .filter((n) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase()))
    .sort();
  if (!names.length) throw new WgsrError('IO', `${flag} ${dir}: no .png, .jpg or .jpeg files`);
  return names;
}

async function read8bit(path: string): Promise<Image> {
  const image = await readImage(path);
  if (image.bitDepth !== 8) throw new WgsrError('BAD_IMAGE', `${path} is ${image.bitDepth}-bit; eval follows BasicSR on 8-bit images (convert it to 8-bit first)`);
  return image;
}

/** JSON has no Infinity: identical images (PSNR ∞) are written as null. */
function jsonScore(s: Score): { psnr: number | null; ssim: number } {
  return { psnr: Number.isFinite(s.psnr) ? s.psnr : null, ssim: s.ssim };
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'inf';
}

function printTable(rows: Row[], mean: Score, meanBicubic: Score | undefined, scale: number, io: CommandIO): void {
  // Several draws of the degradations: a row per image and seed.
  const seeded = new Set(rows.map((r) => r.seed)).size > 1;
  const names = rows.map((r) => (seeded ? `${r.name} (seed ${r.seed})` : r.name));
  const width = Math.max(5, ...names.map((n) => n.length));
  const head = `${'image'.padEnd(width)}  ${'PSNR-Y'.padStart(9)}  ${'SSIM-Y'.padStart(7)}`;
  io.stdout(`Y channel (BT.601), ${scale}-pixel border cropped (BasicSR conventions)`);
  io.stdout(meanBicubic ? `${head}  ${'bicubic PSNR'.padStart(12)}  ${'SSIM'.padStart(7)}` : head);
  const line = (name: string, s: Score, b: Score | undefined) =>
    `${name.padEnd(width)}  ${fmt(s.psnr, 4).padStart(9)}  ${fmt(s.ssim, 4).padStart(7)}` +
    (b ? `  ${fmt(b.psnr, 4).padStart(12)}  ${fmt(b.ssim, 4).padStart(7)}` : '');
  rows.forEach((r, i) => io.stdout(line(names[i]!, r.score, r.bicubic)));
  io.stdout(line('mean', mean, meanBicubic));
}
