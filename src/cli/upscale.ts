import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { WgsrError, isWgsrError } from '../errors.js';
import { readImage, writeImage } from '../io/index.js';
import { createServerDevice } from '../runtime/node.js';
import { createUpscaler, type Upscaler } from '../upscaler.js';
import { numberArg, parseCommandArgs, type Command } from './command.js';
import { defaultModelPath } from './default-model.js';
import { Progress } from './progress.js';
import { readModelFile } from './info.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

const USAGE = `Usage: wgsr upscale <input file|dir> -o <output file|dir> [options]

  -m, --model FILE        .pth or .safetensors weights (default: the bundled model)
  --tile N                tile size in input pixels (default: automatic, from --max-memory)
  --tile-pad N            overlap around each tile (default 10)
  --tile-blend            cross-fade neighbouring tiles over a band as wide as the pad instead
                          of cropping them (the same tiles; see the README's seam-free tiles)
  --tta                   test-time augmentation: the mean over 8 flips/rotations (~8× slower)
  --pre-pad N             reflect padding added before and cropped after (default 0)
  --outscale X            final scale (default: the model's); other values are resampled (Lanczos3)
  --precision f32|f16     activation storage (default f32); f16 halves GPU memory, math stays f32;
                          overflowing images finish in f32, with a warning
  --alpha network|resize  how an alpha channel is upscaled (default network)
  --max-memory MB         GPU memory budget for activations (default 1024)
  --res-scale X           EDSR residual scaling (not stored in its weights)
  --denoise-strength S    with --dni-model: run S·model + (1 − S)·dni-model (Real-ESRGAN's
  --dni-model FILE        denoise strength: realesr-general-x4v3 with realesr-general-wdn-x4v3)
  --ext png|jpg           output format for a directory batch (default: the input's)
  --quality N             JPEG quality 1..100 (default 95)

Formats: PNG (8/16-bit, gray, gray+alpha, RGB, RGBA) and JPEG in; the output format follows the
output file's extension. A directory batch continues past a bad file and exits non-zero at the end.`;

interface Job {
  input: string;
  output: string;
}

export const upscaleCommand: Command = {
  name: 'upscale',
  summary: 'upscale an image or a folder of images',
  usage: USAGE,
  async run(argv, io) {
    const { values: v, positionals } = parseCommandArgs('upscale', argv, {
      output: { type: 'string', short: 'o' },
      model: { type: 'string', short: 'm' },
      tile: { type: 'string' },
      'tile-pad': { type: 'string' },
      'tile-blend': { type: 'boolean' },
      tta: { type: 'boolean' },
      'pre-pad': { type: 'string' },
      outscale: { type: 'string' },
      precision: { type: 'string' },
      alpha: { type: 'string' },
      'max-memory': { type: 'string' },
      'res-scale': { type: 'string' },
      'denoise-strength': { type: 'string' },
      'dni-model': { type: 'string' },
      ext: { type: 'string' },
      quality: { type: 'string' },
    });
    if (positionals.length !== 1) throw new WgsrError('BAD_ARGUMENT', 'give one input file or folder (see wgsr upscale --help)');
    if (typeof v.output !== 'string') throw new WgsrError('BAD_ARGUMENT', 'give the output file or folder with -o');
    const isInt = (n: number) => Number.isInteger(n) && n >= 0;
    const tile = numberArg(v.tile as string | undefined, '--tile', isInt, 'a whole number ≥ 0');
    const tilePad = numberArg(v['tile-pad'] as string | undefined, '--tile-pad', isInt, 'a whole number ≥ 0');
    const prePad = numberArg(v['pre-pad'] as string | undefined, '--pre-pad', isInt, 'a whole number ≥ 0');
    const outscale = numberArg(v.outscale as string | undefined, '--outscale', (n) => n > 0 && n <= 16, 'a number in (0, 16]');
    const maxMemoryMB = numberArg(v['max-memory'] as string | undefined, '--max-memory', (n) => n >= 16, 'at least 16 (MB)');
    const resScale = numberArg(v['res-scale'] as string | undefined, '--res-scale', (n) => n > 0, 'a positive number');
    const quality = numberArg(v.quality as string | undefined, '--quality', (n) => isInt(n) && n >= 1 && n <= 100, 'a whole number in 1..100');
    const precision = (v.precision as string | undefined) ?? 'f32';
    if (precision !== 'f32' && precision !== 'f16') throw new WgsrError('BAD_ARGUMENT', `--precision must be f32 or f16, got "${precision}"`);
    const alpha = (v.alpha as string | undefined) ?? 'network';
    if (alpha !== 'network' && alpha !== 'resize') throw new WgsrError('BAD_ARGUMENT', `--alpha must be network or resize, got "${alpha}"`);
    const strength = numberArg(v['denoise-strength'] as string | undefined, '--denoise-strength', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
    const dniModel = v['dni-model'] as string | undefined;
    if ((strength === undefined) !== (dniModel === undefined)) {
      throw new WgsrError('BAD_ARGUMENT', '--denoise-strength and --dni-model go together (the second model is the "wdn" variant)');
    }
    const ext = v.ext as string | undefined;
    if (ext !== undefined && !['png', 'jpg', 'jpeg'].includes(ext)) throw new WgsrError('BAD_ARGUMENT', `--ext must be png or jpg, got "${ext}"`);

    const jobs = planJobs(positionals[0]!, v.output, ext);
    const modelPath = (v.model as string | undefined) ?? defaultModelPath();
    const modelBytes = readModelFile(modelPath);

    // SIGINT aborts between tiles: the current image is dropped unwritten and we exit 130.
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let up: Upscaler | undefined;
    let failures = 0;
    try {
      // The upscaler owns its device, so a lost device is replaced and the batch goes on.
      up = await createUpscaler(modelBytes, {
        deviceFactory: createServerDevice,
        precision,
        tile,
        tilePad,
        prePad,
        tileBlend: v['tile-blend'] === true,
        tta: v.tta === true,
        maxMemory: maxMemoryMB === undefined ? undefined : maxMemoryMB * 1024 * 1024,
        modelOptions: { resScale },
        source: basename(modelPath),
        dni: dniModel === undefined ? undefined : { bytes: readModelFile(dniModel), strength: strength!, source: basename(dniModel) },
        signal: controller.signal,
        onWarning: (message) => io.stderr(`wgsr: warning: ${message}`),
      });
      if (up.adapter) io.stderr(`wgsr: adapter ${up.adapter.summary}`);
      io.stderr(`wgsr: model ${basename(modelPath)}: ${up.info.arch} ×${up.info.scale}, ${up.precision} activations`);
      for (const job of jobs) {
        try {
          if (controller.signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
          const image = await readImage(job.input);
          // A terminal gets a bar redrawn in place (raw writes); anything else whole lines.
          const write = io.interactive ? (t: string) => void process.stderr.write(t) : (t: string) => io.stderr(t.replace(/\n$/, ''));
          const progress = new Progress(basename(job.input), io.interactive, write);
          const result = await up.upscale(image, { outscale, alpha, onProgress: (d, t) => progress.update(d, t) });
          if (controller.signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
          await writeImage(job.output, result, { quality, inputPath: job.input });
          io.stdout(`${job.input} -> ${job.output} (${result.width}×${result.height})`);
        } catch (e) {
          if (isWgsrError(e) && e.code === 'ABORTED') {
            io.stderr(`wgsr upscale: cancelled (${job.input} not written)`);
            return 130;
          }
          if (!isWgsrError(e) || jobs.length === 1) throw e;
          failures++;
          // Image errors name their file already; GPU ones (out of memory, device lost) do not.
          io.stderr(`wgsr upscale: ${e.message.includes(job.input) ? '' : `${job.input}: `}${e.message}`);
        }
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      up?.destroy();
    }
    if (failures) {
      io.stderr(`wgsr upscale: ${failures} of ${jobs.length} images failed`);
      return 1;
    }
    return 0;
  },
};

/** Input file → output file, or every image in a folder → the same names in the output folder. */
function planJobs(input: string, output: string, ext: string | undefined): Job[] {
  if (!existsSync(input)) throw new WgsrError('IO', `${input}: no such file or folder`);
  if (!statSync(input).isDirectory()) {
    const out = existsSync(output) && statSync(output).isDirectory() ? join(output, outputName(input, ext)) : output;
    return [checked({ input, output: out })];
  }
  if (existsSync(output) && !statSync(output).isDirectory()) throw new WgsrError('BAD_ARGUMENT', `${input} is a folder, so -o must be a folder too; ${output} is a file`);
  const names = readdirSync(input)
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort();
  if (!names.length) throw new WgsrError('IO', `${input}: no .png, .jpg or .jpeg files`);
  return names.map((n) => checked({ input: join(input, n), output: join(output, outputName(n, ext)) }));
}

function outputName(input: string, ext: string | undefined): string {
  const base = basename(input, extname(input));
  return `${base}.${ext ?? extname(input).slice(1).toLowerCase()}`;
}

function checked(job: Job): Job {
  if (resolve(job.input) === resolve(job.output)) {
    throw new WgsrError('BAD_ARGUMENT', `${job.output} is the input file; choose another output name (wgsr never overwrites its input)`);
  }
  const dir = dirname(resolve(job.output));
  if (!existsSync(dir)) throw new WgsrError('IO', `${job.output}: the folder ${dir} does not exist`);
  return job;
}
