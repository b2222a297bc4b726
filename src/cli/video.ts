import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { WgsrError, isWgsrError } from '../errors.js';
import { createServerDevice } from '../runtime/node.js';
import { upscaleVideo, type VideoProgress } from '../runtime/node-video.js';
import { createUpscaler, type Upscaler } from '../upscaler.js';
import type { ModelBytes } from '../weights/types.js';
import { checkVideoFile } from '../io/video/probe.js';
import { numberArg, parseCommandArgs, stringArg, type Command, type CommandIO, type OptionSpec } from './command.js';
import { checkModelChoice, resolveModel, type ResolvedModel } from './model-source.js';
import { EXIT } from './exit-codes.js';
import { onSignals } from './signals.js';

const USAGE = `Usage: wgsr video <input video> -o <output video> [options]

  -m, --model FILE        .pth, .safetensors or ncnn .param (its .bin beside it) (default: the bundled model)
  -n, --model-name NAME   a released model by name, downloaded once and cached (wgsr models)
  --model-dir DIR         where models by name are kept (default: the cache, see wgsr models)
  --denoise-strength S    as for wgsr upscale: without -m, S·the bundled denoising model +
                          (1 − S)·the bundled default; with -n realesr-general-x4v3 its wdn blend
  --dni-model FILE        the second model of the blend with -m FILE (S·-m + (1 − S)·FILE)
  --outscale X            final scale (default: the model's); other values are resampled (Lanczos3)
  --codec NAME            ffmpeg encoder (default libx264)
  --crf N                 quality for libx264/libx265/libvpx-vp9 (default 18)
  --preset NAME           encoder preset (libx264: ultrafast … veryslow)
  --pix-fmt NAME          encoded pixel format (default: the input's, or the first the encoder
                          takes that keeps its bit depth and alpha)
  --drop-alpha            encode a video with alpha without it (default: keep it or refuse)
  --fps keep              frames keep their own timestamps (the only mode: variable frame rate
                          stays variable, frame count and duration stay the same)
  --start T, --duration T part of the input (seconds or [HH:]MM:SS[.ms])
  -x, --tta               test-time augmentation: mean over 8 flips/rotations (about 8× slower)
  --tile N, --tile-pad N  tiles as for wgsr upscale (default: automatic, pad 10)
  --tile-blend            cross-fade neighbouring tiles instead of cropping them (same tiles)
  --tile-blend-width W    the band they are cross-faded over, in input pixels (default: the pad)
  --precision f32|f16     activation storage (default f32)
  --max-memory MB         GPU memory budget for activations (default 1024)
  --segment N             frames per segment (default 300): the unit --resume restarts from
  --resume                continue an interrupted run from its finished segments

Frames go through ffmpeg (Debian: apt-get install ffmpeg) over pipes as raw RGB (16-bit for
sources deeper than 8 bits); audio, subtitles, chapters and metadata are copied. The video is
encoded in segments in <output>.wgsr-parts/ and joined at the end: the output file appears only
when complete. Ctrl-C stops after the current tile; finished segments stay for --resume, and no
partial file is written under the output name.`;

const OPTIONS: OptionSpec[] = [
  { name: 'output', kind: 'string', short: 'o' },
  { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
  { name: 'model-name', kind: 'string', short: 'n' },
  { name: 'model-dir', kind: 'string' },
  { name: 'denoise-strength', kind: 'string', aliases: ['-dn'] },
  { name: 'dni-model', kind: 'string' },
  { name: 'outscale', kind: 'string', short: 's' },
  { name: 'codec', kind: 'string' },
  { name: 'crf', kind: 'string' },
  { name: 'preset', kind: 'string' },
  { name: 'pix-fmt', kind: 'string' },
  { name: 'drop-alpha', kind: 'flag' },
  { name: 'fps', kind: 'string' },
  { name: 'start', kind: 'string' },
  { name: 'duration', kind: 'string' },
  { name: 'tta', kind: 'flag', short: 'x' },
  { name: 'tile', kind: 'string', short: 't' },
  { name: 'tile-pad', kind: 'string' },
  { name: 'tile-blend', kind: 'flag' },
  { name: 'tile-blend-width', kind: 'string' },
  { name: 'precision', kind: 'string', presets: { '--fp32': 'f32', '--half': 'f16' } },
  { name: 'max-memory', kind: 'string' },
  { name: 'segment', kind: 'string' },
  { name: 'resume', kind: 'flag' },
];

export const videoCommand: Command = {
  name: 'video',
  summary: 'upscale a video (ffmpeg): audio, subtitles and timestamps kept',
  usage: USAGE,
  async run(argv, io) {
    const { values: v, positionals } = parseCommandArgs('video', argv, OPTIONS);
    const output = stringArg(v, 'output') ?? positionals[1];
    if (positionals.length < 1 || positionals.length > (stringArg(v, 'output') === undefined ? 2 : 1)) {
      throw new WgsrError('BAD_ARGUMENT', 'give one input video and one output (see wgsr video --help)');
    }
    if (!output) throw new WgsrError('BAD_ARGUMENT', 'give the output file with -o');
    if (v.fps !== undefined && v.fps !== 'keep') {
      throw new WgsrError('BAD_ARGUMENT', `--fps ${String(v.fps)}: only "keep" is supported (every frame keeps its timestamp); resample with ffmpeg's -r afterwards`);
    }
    const s = (name: string) => stringArg(v, name);
    const whole = (n: number) => Number.isInteger(n) && n >= 0;
    const precision = s('precision') ?? 'f32';
    if (precision !== 'f32' && precision !== 'f16') throw new WgsrError('BAD_ARGUMENT', `--precision must be f32 or f16, got "${precision}"`);
    const maxMemoryMB = numberArg(s('max-memory'), '--max-memory', (n) => n >= 16, 'at least 16 (MB)');
    const blendWidth = numberArg(s('tile-blend-width'), '--tile-blend-width', (n) => n >= 0, 'a number of pixels ≥ 0');
    const options = {
      outscale: numberArg(s('outscale'), '--outscale', (n) => n > 0 && n <= 16, 'a number in (0, 16]'),
      crf: numberArg(s('crf'), '--crf', (n) => n >= 0 && n <= 63, 'a number in 0..63'),
      codec: s('codec'),
      preset: s('preset'),
      pixFmt: s('pix-fmt'),
      dropAlpha: v['drop-alpha'] === true,
      start: s('start'),
      duration: s('duration'),
      tta: v.tta === true,
      tile: numberArg(s('tile'), '--tile', whole, 'a whole number ≥ 0'),
      tilePad: numberArg(s('tile-pad'), '--tile-pad', whole, 'a whole number ≥ 0'),
      tileBlend: blendWidth ?? (v['tile-blend'] === true ? true : undefined),
      segmentFrames: numberArg(s('segment'), '--segment', (n) => whole(n) && n >= 1, 'a whole number ≥ 1'),
      resume: v.resume === true,
    };
    const strength = numberArg(s('denoise-strength'), '--denoise-strength', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
    const choice = { file: s('model'), name: s('model-name'), modelDir: s('model-dir'), denoiseStrength: strength, dniFile: s('dni-model') };
    checkModelChoice(choice);
    // The input is checked before the model is read and the GPU started (seconds): a bad path fails at once.
    await checkVideoFile(positionals[0]!);
    const resolved = await resolveModel(choice, io);
    const model = { bytes: resolved.bytes, id: modelId(resolved) };
    const controller = new AbortController();
    const signals = onSignals(() => controller.abort());
    let up: Upscaler | undefined;
    try {
      up = await createUpscaler(model.bytes, {
        deviceFactory: createServerDevice,
        precision,
        maxMemory: maxMemoryMB === undefined ? undefined : maxMemoryMB * 1024 * 1024,
        source: resolved.label,
        dni: resolved.dni,
        onWarning: (message) => io.stderr(`wgsr: warning: ${message}`),
      });
      if (up.adapter) io.stderr(`wgsr: adapter ${up.adapter.summary}`);
      const blend = resolved.dni ? ` (denoise strength ${resolved.dni.strength}, with ${resolved.dni.source})` : '';
      io.stderr(`wgsr: model ${resolved.label}${blend}: ${up.info.arch} ×${up.info.scale}, ${up.precision} activations${options.tta ? ', TTA ×8' : ''}`);
      const show = progressLine(io, basename(positionals[0]!));
      const result = await upscaleVideo(up, positionals[0]!, output, {
        ...options,
        modelId: model.id,
        signal: controller.signal,
        onProgress: show,
        onWarning: (message) => io.stderr(`wgsr: warning: ${message}`),
      });
      show(undefined);
      const reused = result.skipped ? ` (${result.skipped} from finished segments)` : '';
      io.stdout(`${positionals[0]} -> ${output} (${result.width}×${result.height}, ${result.frames} frames${reused}, ${result.seconds.toFixed(1)} s)`);
      return 0;
    } catch (e) {
      if (isWgsrError(e) && e.code === 'ABORTED') {
        io.stderr(`\nwgsr video: ${e.message}`);
        return signals.received() ?? EXIT.interrupted;
      }
      throw e;
    } finally {
      signals.dispose();
      up?.destroy();
    }
  },
};

/**
 * A hash of what computes the frames: the model's bytes (a file, or an ncnn pair), and for a
 * --denoise-strength blend the second model's and the strength. --resume refuses a folder whose
 * segments another model (or another strength) made.
 */
export function modelId(model: ResolvedModel): string {
  const hash = createHash('sha256');
  const add = (bytes: ModelBytes) => {
    for (const part of ArrayBuffer.isView(bytes) || bytes instanceof ArrayBuffer ? [bytes] : [bytes.param, bytes.bin]) {
      hash.update(part instanceof ArrayBuffer ? new Uint8Array(part) : new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    }
  };
  add(model.bytes);
  if (model.dni) {
    hash.update(`denoise strength ${model.dni.strength}`);
    add(model.dni.bytes);
  }
  return hash.digest('hex');
}

/** Frames done / total, fps and ETA on stderr: redrawn on a terminal, a line every few seconds otherwise. */
function progressLine(io: CommandIO, label: string): (p: VideoProgress | undefined) => void {
  let last = 0;
  let shown = false;
  return (p) => {
    if (!p) {
      if (shown && io.interactive) process.stderr.write('\n');
      return;
    }
    const now = Date.now();
    if (!io.interactive && now - last < 5000) return;
    last = now;
    shown = true;
    const total = p.total ? `/${p.total}` : '';
    const eta = p.etaSeconds !== undefined ? `  ETA ${formatSeconds(p.etaSeconds)}` : '';
    const skipped = p.skipped ? ` (+${p.skipped} resumed)` : '';
    const text = `${label}: ${p.done + p.skipped}${total} frames${skipped}  ${p.fps.toFixed(2)} fps${eta}`;
    if (io.interactive) process.stderr.write(`\r${text}\x1b[K`);
    else io.stderr(text);
  };
}

function formatSeconds(s: number): string {
  if (s < 90) return `${s.toFixed(0)}s`;
  if (s < 5400) return `${(s / 60).toFixed(1)}min`;
  return `${(s / 3600).toFixed(1)}h`;
}
