import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { WgsrError, isWgsrError } from '../errors.js';
import { readImageWithMetadata, type ImageLimits } from '../io/index.js';
import { probeAlpha } from '../io/probe.js';
import { createServerDevice } from '../runtime/node.js';
import { createUpscaler, type UpscaleCallOptions, type Upscaler } from '../upscaler.js';
import { checkKernelsOption } from '../engine/kernels.js';
import { kernelCacheFile } from '../runtime/kernel-cache-file.js';
import { numberArg, parseCommandArgs, stringArg, type Command, type OptionSpec } from './command.js';
import { BUNDLED_HINT, checkModelChoice, resolveModel } from './model-source.js';
import { EXIT } from './exit-codes.js';
import { planBatch, type Plan } from './plan.js';
import { tileProgress } from './progress.js';
import { onSignals } from './signals.js';
import { upscaleToFile } from './write-output.js';

const USAGE = `Usage: wgsr upscale <input file|folder> [output] [options]

  -i, --input PATH        the input file or folder (or the first argument)
  -o, --output PATH       the output file, or a folder (default: next to the input); a folder
                          and its parents are made; a path ending in / is always a folder
  -m, --model FILE        .pth, .safetensors or ncnn .param (its .bin beside it) (default: the
                          bundled model)
  -n, --model-name NAME   a released model by name, downloaded once and cached (wgsr models
                          lists them): realesrgan-x4plus, realesr-general-x4v3, …
  --model-dir DIR         where models by name are kept (default: $WGSR_CACHE_DIR, else
                          $XDG_CACHE_HOME/wgsr, else ~/.cache/wgsr)
  -s, --outscale X        final scale (default: the model's); other values are resampled (Lanczos3)
  -t, --tile N            tile size in input pixels (default: automatic, from --max-memory)
  --tile-pad N            overlap around each tile (default 10)
  --tile-blend            cross-fade neighbouring tiles over a band as wide as the pad instead
                          of cropping them (the same tiles; see the README's seam-free tiles)
  -x, --tta               test-time augmentation: the mean over 8 flips/rotations (~8× slower)
  --pre-pad N             reflect padding added before and cropped after (default 0)
  --precision f32|f16     activation storage (default f32); f16 halves GPU memory, math stays f32;
                          overflowing images finish in f32, with a warning (--fp32, --half)
  --kernels K             conv kernels: heuristic (default), auto (measured, cached; see
                          wgsr tune), register-tile, gemm or gemm-f16
  --alpha network|resize  how an alpha channel is upscaled (default network)
  --max-memory MB         GPU memory budget for activations (default 1024)
  --res-scale X           EDSR residual scaling (not stored in its weights)
  --denoise-strength S    run S·model + (1 − S)·its weak-denoise variant (Real-ESRGAN's: 1 denoises
                          most, 0 keeps the noise): with -n realesr-general-x4v3 the wdn variant
                          is fetched too; without -m and -n, S·the bundled denoising model +
                          (1 − S)·the bundled model (no S: the bundled model alone, as S = 0)
  --dni-model FILE        the second model of that blend, as a file (with -m)
  -f, --ext png|jpg|webp  output format (default: the input's; auto = the input's)
  --suffix S              output names are NAME_S.EXT (default: "out" when the output folder
                          is the input's folder, else none)
  --quality N             JPEG quality 1..100 (default 95); WebP: lossy at N (default lossless)
  -r, --recursive         also upscale the images in subfolders, mirrored in the output folder
  --json                  one JSON line per image on stdout: input, output, width, height,
                          model, ms (or error)
  -q, --quiet             print nothing but errors
  --max-side N            refuse input images wider or taller than N pixels (default 20000)
  --max-pixels N          refuse input images of more than N pixels (default 400000000)
  --max-decoder-memory MB refuse input images whose decoding needs more (default 4096)

Real-ESRGAN's spellings work too: --model_path, --tile_pad, --pre_pad, --denoise_strength (-dn),
--alpha_upsampler realesrgan|bicubic, --max_memory, and every long option with _ for -.

Formats: PNG (8/16-bit, gray, gray+alpha, RGB, RGBA), JPEG and WebP in and out; the output format
follows the output file's extension. EXIF orientation is applied; an ICC profile is kept in PNG
and JPEG outputs. Every output is checked before any work starts: none may be an input (through
links or a case-insensitive file system), none may be written twice, every format must hold its
image (no alpha in JPEG). A folder batch continues past a bad file.

Exit status: 0 all written; 1 failed; 2 usage error (nothing done); 3 some images of a batch
failed (the rest written); 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (nothing half-written).`;

const OPTIONS: OptionSpec[] = [
  { name: 'input', kind: 'string', short: 'i' },
  { name: 'output', kind: 'string', short: 'o' },
  { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
  { name: 'model-name', kind: 'string', short: 'n' },
  { name: 'model-dir', kind: 'string' },
  { name: 'tile', kind: 'string', short: 't' },
  { name: 'tile-pad', kind: 'string' },
  { name: 'tile-blend', kind: 'flag' },
  { name: 'tta', kind: 'flag', short: 'x' },
  { name: 'pre-pad', kind: 'string' },
  { name: 'outscale', kind: 'string', short: 's' },
  { name: 'precision', kind: 'string', presets: { '--fp32': 'f32', '--half': 'f16' } },
  { name: 'kernels', kind: 'string' },
  {
    name: 'alpha',
    kind: 'string',
    aliases: ['--alpha-upsampler'],
    aliasValues: { '--alpha-upsampler': { realesrgan: 'network', bicubic: 'resize' } },
  },
  { name: 'max-memory', kind: 'string' },
  { name: 'res-scale', kind: 'string' },
  { name: 'denoise-strength', kind: 'string', aliases: ['-dn'] },
  { name: 'dni-model', kind: 'string' },
  { name: 'ext', kind: 'string', short: 'f', aliases: ['--format'] },
  { name: 'suffix', kind: 'string' },
  { name: 'quality', kind: 'string' },
  { name: 'recursive', kind: 'flag', short: 'r' },
  { name: 'json', kind: 'flag' },
  { name: 'quiet', kind: 'flag', short: 'q' },
  { name: 'max-side', kind: 'string' },
  { name: 'max-pixels', kind: 'string' },
  { name: 'max-decoder-memory', kind: 'string' },
];

const mib = (mb: number | undefined) => (mb === undefined ? undefined : mb * 2 ** 20);

export const upscaleCommand: Command = {
  name: 'upscale',
  summary: 'upscale an image or a folder of images',
  usage: USAGE,
  async run(argv, io) {
    const { values: v, positionals } = parseCommandArgs('upscale', argv, OPTIONS);
    const inputs = [...(stringArg(v, 'input') !== undefined ? [stringArg(v, 'input')!] : []), ...positionals];
    if (inputs.length === 0) throw new WgsrError('BAD_ARGUMENT', 'give an input file or folder (see wgsr upscale --help)');
    if (inputs.length > 2 || (inputs.length === 2 && stringArg(v, 'output') !== undefined)) {
      throw new WgsrError('BAD_ARGUMENT', `give one input and at most one output, got ${inputs.map((a) => `"${a}"`).join(', ')} (see wgsr upscale --help)`);
    }
    const output = stringArg(v, 'output') ?? inputs[1];
    if (output === '') throw new WgsrError('BAD_ARGUMENT', '-o needs a file or folder name, got an empty string');
    const isInt = (n: number) => Number.isInteger(n) && n >= 0;
    const positive = (n: number) => Number.isInteger(n) && n >= 1;
    const tile = numberArg(v.tile, '--tile', isInt, 'a whole number ≥ 0');
    const tilePad = numberArg(v['tile-pad'], '--tile-pad', isInt, 'a whole number ≥ 0');
    const prePad = numberArg(v['pre-pad'], '--pre-pad', isInt, 'a whole number ≥ 0');
    const outscale = numberArg(v.outscale, '--outscale', (n) => n > 0 && n <= 16, 'a number in (0, 16]');
    const maxMemoryMB = numberArg(v['max-memory'], '--max-memory', (n) => n >= 16, 'at least 16 (MB)');
    const resScale = numberArg(v['res-scale'], '--res-scale', (n) => n > 0, 'a positive number');
    const quality = numberArg(v.quality, '--quality', (n) => positive(n) && n <= 100, 'a whole number in 1..100');
    const precision = stringArg(v, 'precision') ?? 'f32';
    if (precision !== 'f32' && precision !== 'f16') throw new WgsrError('BAD_ARGUMENT', `--precision must be f32 or f16, got "${precision}"`);
    const kernels = checkKernelsOption(stringArg(v, 'kernels'));
    const alpha = stringArg(v, 'alpha') ?? 'network';
    if (alpha !== 'network' && alpha !== 'resize') {
      throw new WgsrError('BAD_ARGUMENT', `--alpha must be network or resize (--alpha_upsampler: realesrgan or bicubic), got "${alpha}"`);
    }
    const strength = numberArg(v['denoise-strength'], '--denoise-strength', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
    const modelChoice = { file: stringArg(v, 'model'), name: stringArg(v, 'model-name'), modelDir: stringArg(v, 'model-dir'), denoiseStrength: strength, dniFile: stringArg(v, 'dni-model'), quiet: v.quiet === true };
    checkModelChoice(modelChoice);
    const extArg = stringArg(v, 'ext');
    const ext = extArg === 'auto' ? undefined : extArg;
    const limits: ImageLimits = {
      maxSide: numberArg(v['max-side'], '--max-side', positive, 'a whole number ≥ 1'),
      maxPixels: numberArg(v['max-pixels'], '--max-pixels', positive, 'a whole number ≥ 1'),
      maxDecoderMemory: mib(numberArg(v['max-decoder-memory'], '--max-decoder-memory', (n) => n >= 1, 'at least 1 (MB)')),
    };
    const json = v.json === true;
    const quiet = v.quiet === true;
    const say = (line: string) => {
      if (!quiet) io.stderr(line);
    };

    // Everything that can be known before computing is checked now: the plan, the formats,
    // alpha into JPEG, the model file. Nothing is created until all of it passed.
    const plan = planBatch({ input: inputs[0]!, output, ext, suffix: stringArg(v, 'suffix'), recursive: v.recursive === true });
    await refuseAlphaInJpeg(plan);
    const model = await resolveModel(modelChoice, io);
    if (plan.skipped.length) say(`wgsr upscale: skipped ${plan.skipped.length} file${plan.skipped.length > 1 ? 's' : ''}: ${listed(plan.skipped.map((s) => `${basename(s.path)} (${s.why})`))}`);
    if (plan.subfolders) say(`wgsr upscale: ${plan.subfolders} subfolder${plan.subfolders > 1 ? 's' : ''} not searched (add --recursive)`);
    for (const folder of plan.folders) mkdirSync(folder, { recursive: true });

    const controller = new AbortController();
    const signals = onSignals(() => controller.abort());
    let up: Upscaler | undefined;
    let failures = plan.unreadable.length;
    let written = 0;
    const total = plan.jobs.length + plan.unreadable.length;
    const fail = (input: string, output: string | undefined, message: string) => {
      io.stderr(`wgsr upscale: ${message.includes(input) ? '' : `${input}: `}${message}`);
      if (json) io.stdout(JSON.stringify({ input, output: output ?? null, error: message }));
    };
    for (const u of plan.unreadable) fail(u.path, undefined, u.why);
    try {
      if (plan.jobs.length) {
        // The upscaler owns its device, so a lost device is replaced and the batch goes on.
        up = await createUpscaler(model.bytes, {
          deviceFactory: createServerDevice,
          precision,
          kernels,
          kernelCache: kernelCacheFile(),
          tile,
          tilePad,
          prePad,
          tileBlend: v['tile-blend'] === true,
          tta: v.tta === true,
          maxMemory: maxMemoryMB === undefined ? undefined : maxMemoryMB * 1024 * 1024,
          modelOptions: { resScale },
          source: model.label,
          dni: model.dni,
          signal: controller.signal,
          onWarning: (message) => io.stderr(`wgsr: warning: ${message}`),
        });
        if (up.adapter) say(`wgsr: adapter ${up.adapter.summary}`);
        say(`wgsr: model ${model.label}${model.dni ? ` (denoise strength ${model.dni.strength}, with ${model.dni.source})` : ''}: ${up.info.arch} ×${up.info.scale}, ${up.precision} activations`);
      }
      for (const job of plan.jobs) {
        const started = performance.now();
        try {
          if (controller.signal.aborted) throw new WgsrError('ABORTED', 'cancelled');
          const { image, metadata } = await readImageWithMetadata(job.input, limits);
          const onProgress = quiet ? undefined : tileProgress(basename(job.input), io);
          const call: UpscaleCallOptions = { outscale, alpha: alpha as UpscaleCallOptions['alpha'], signal: controller.signal, onProgress };
          const result = await upscaleToFile(up!, image, job, call, { quality, icc: metadata.icc });
          written++;
          const ms = Math.round(performance.now() - started);
          if (json) io.stdout(JSON.stringify({ input: job.input, output: job.output, width: result.width, height: result.height, model: model.label, ms }));
          else if (!quiet) io.stdout(`${job.input} -> ${job.output} (${result.width}×${result.height})`);
        } catch (e) {
          if (isWgsrError(e) && e.code === 'ABORTED') {
            io.stderr(`wgsr upscale: cancelled (${job.input} not written)`);
            return signals.received() ?? EXIT.interrupted;
          }
          if (total === 1) throw e;
          failures++;
          // Image errors name their file already; GPU ones (out of memory, device lost) do not.
          // Anything else is reported for this file too: one image never stops the batch.
          fail(job.input, job.output, isWgsrError(e) ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      signals.dispose();
      up?.destroy();
    }
    if (model.bundled && written > 0 && !quiet && !json) io.stderr(BUNDLED_HINT);
    if (failures) {
      io.stderr(`wgsr upscale: ${failures} of ${total} images failed`);
      return written > 0 ? EXIT.partial : EXIT.failure;
    }
    return EXIT.ok;
  },
};

/** JPEG has no alpha channel: an input with one, bound for a JPEG output, is refused up front. */
async function refuseAlphaInJpeg(plan: Plan): Promise<void> {
  const withAlpha: string[] = [];
  for (const job of plan.jobs) {
    if (job.format === 'jpeg' && (await probeAlpha(job.input))) withAlpha.push(job.input);
  }
  if (withAlpha.length) {
    throw new WgsrError('BAD_ARGUMENT', `${listed(withAlpha)} ${withAlpha.length > 1 ? 'have' : 'has'} an alpha channel, which JPEG cannot store; write PNG or WebP (--ext png)`);
  }
}

/** Up to five names, then how many more. */
function listed(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}
