import { rename, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { WgsrError, isWgsrError } from '../errors.js';
import type { Image } from '../image/types.js';
import { sameFile } from '../io/atomic.js';
import { FrameSource } from '../io/video/decode.js';
import { chooseVideoFormats } from '../io/video/formats.js';
import { muxParts } from '../io/video/mux.js';
import { probeVideo, type VideoInfo } from '../io/video/probe.js';
import type { UpscaleCallOptions, Upscaler } from '../upscaler.js';
import { VideoParts, type PartRecord } from './node-video-parts.js';
import { SegmentWriter, type FrameTiming } from './node-video-segments.js';

export interface VideoOptions extends Omit<UpscaleCallOptions, 'onProgress'> {
  /** ffmpeg encoder (default libx264) and its settings. */
  codec?: string;
  /** Default 18 for libx264, libx265 and libvpx-vp9; not passed to other encoders unless given. */
  crf?: number;
  preset?: string;
  /** The encoded pixel format (default: the source's, or the first the encoder takes that keeps its depth and alpha). */
  pixFmt?: string;
  /** Encode a source with alpha without it (otherwise an encoder without alpha formats is refused). */
  dropAlpha?: boolean;
  /** ffmpeg time strings ("00:01:05", "65.5"): where to start, how much to take. */
  start?: string;
  duration?: string;
  /** Frames per segment (default 300): the unit of --resume. */
  segmentFrames?: number;
  /** Continue from the finished segments of an interrupted run with the same input and settings. */
  resume?: boolean;
  /** What identifies the model for resume (e.g. a hash of its file); part of the settings compared. */
  modelId?: string;
  onProgress?: (progress: VideoProgress) => void;
  onWarning?: (message: string) => void;
}

export interface VideoProgress {
  /** Frames upscaled in this run, and frames taken from finished segments. */
  done: number;
  skipped: number;
  /** The selection's frame count, estimated from its duration when the file does not say. */
  total?: number;
  /** Upscaled frames per second in this run, and the time left at that rate. */
  fps: number;
  etaSeconds?: number;
}

export interface VideoResult {
  frames: number;
  skipped: number;
  width: number;
  height: number;
  seconds: number;
  subtitlesDropped: boolean;
}

const CRF_CODECS = new Set(['libx264', 'libx265', 'libvpx-vp9']);

/**
 * Upscales a video file into another, frame by frame, with ffmpeg decoding and encoding over
 * pipes. Frames keep their timestamps (variable frame rate included), the audio, subtitles,
 * chapters and metadata are copied, and the pixel format's depth and alpha are kept or refused.
 *
 * The video is encoded in segments in `<output>.wgsr-parts/` and joined at the end; the output
 * appears (by rename) only when whole. Stopped (`signal`) or failed, a run leaves the finished
 * segments there, which `resume` continues from; the output name never holds a partial file.
 */
export async function upscaleVideo(up: Upscaler, input: string, output: string, options: VideoOptions = {}): Promise<VideoResult> {
  const began = Date.now();
  const info = await probeVideo(input);
  const extension = await checkPaths(input, output);
  const codec = options.codec ?? 'libx264';
  const crf = options.crf ?? (CRF_CODECS.has(codec) ? 18 : undefined);
  const formats = await chooseVideoFormats(info, codec, options);
  const segmentFrames = options.segmentFrames ?? 300;
  if (!(Number.isInteger(segmentFrames) && segmentFrames >= 1)) throw new WgsrError('BAD_ARGUMENT', `segmentFrames must be a whole number ≥ 1, got ${segmentFrames}`);
  const counts = { done: 0, skipped: 0, total: frameTotal(info, options) };
  const { outscale, alpha, tta, tileBlend, tile, tilePad, prePad, signal } = options;
  const call: UpscaleCallOptions = { outscale, alpha, tta, tileBlend, tile, tilePad, prePad, signal };
  const settings = { model: options.modelId ?? null, codec, crf, preset: options.preset, ...formats, start: options.start, duration: options.duration, segmentFrames, ...call, signal: undefined };
  const parts = await VideoParts.open(output, input, JSON.parse(JSON.stringify(settings)) as Record<string, unknown>, options.resume === true);

  const source = new FrameSource({ input, streamIndex: info.index, width: info.width, height: info.height, format: formats.raw, start: options.start, duration: options.duration });
  const warn = options.onWarning ?? (() => undefined);
  const writer = new SegmentWriter(parts, { segmentFrames, extension, raw: formats.raw, timeBase: () => source.timeBase, frameRate: info.frameRate, encoder: { codec, crf, preset: options.preset, pixFmt: formats.pixFmt }, warn });
  const report = () => options.onProgress?.(progress(counts, began));
  const timings: FrameTiming[] = [];
  let size = { width: 0, height: 0 };
  try {
    const frames = selectFrames(source, parts, timings, counts, report, signal);
    await up.upscaleFrames(frames, async (image: Image, index: number) => {
      await writer.write(image, timings[index]!);
      size = { width: image.width, height: image.height };
      counts.done++;
      report();
    }, call); // prettier-ignore
    await writer.finish();
  } catch (e) {
    await writer.abort();
    source.close();
    if (!parts.finished.length) await parts.remove();
    throw stopped(e, counts, parts);
  }
  if (!parts.finished.length) {
    await parts.remove();
    throw new WgsrError('BAD_IMAGE', `${input}: no frames in the selected range`);
  }
  const joined = join(parts.dir, `joined${extension}`);
  const { subtitlesDropped } = await muxParts({
    parts: spans(parts.finished, parts.timeBase!).map((p) => ({ file: parts.path(p.file), seconds: p.seconds })),
    listFile: parts.path('parts.ffconcat'),
    output: joined,
    source: input,
    start: options.start,
    duration: options.duration,
    videoOffset: (parts.finished[0]!.firstPts * parts.timeBase!.num) / parts.timeBase!.den,
    subtitles: info.subtitleStreams > 0,
  });
  if (subtitlesDropped) warn(`the subtitles of ${input} cannot be stored in a ${extension} file as they are; written without them`);
  await rename(joined, output);
  await parts.remove();
  if (!size.width) size = { width: info.width * up.info.scale, height: info.height * up.info.scale };
  return { frames: counts.done + counts.skipped, skipped: counts.skipped, ...size, seconds: (Date.now() - began) / 1000, subtitlesDropped };
}

/**
 * The decoded frames that still need upscaling: frames of finished segments (resume) are
 * decoded and dropped, after checking they are the frames the segment was made from.
 */
async function* selectFrames(
  source: FrameSource,
  parts: VideoParts,
  timings: FrameTiming[],
  counts: { skipped: number },
  report: () => void,
  signal: AbortSignal | undefined,
): AsyncGenerator<Image> {
  let n = 0;
  for await (const frame of source) {
    if (signal?.aborted) throw new WgsrError('ABORTED', 'stopped');
    const done = parts.partOf(n);
    if (done) {
      if (n === done.firstFrame && frame.pts !== done.firstPts) {
        throw new WgsrError('IO', `cannot resume: frame ${n} now has timestamp ${frame.pts}, but its segment was made from one at ${done.firstPts}; delete ${parts.dir} to start over`);
      }
      counts.skipped++;
      if (counts.skipped % 50 === 0) report();
    } else {
      timings.push({ n, pts: frame.pts, duration: frame.duration });
      yield frame.image;
    }
    n++;
  }
}

/** Each part's span on the timeline: to the next part's start, the last to its end. */
function spans(finished: readonly PartRecord[], tb: { num: number; den: number }): { file: string; seconds: number }[] {
  return finished.map((p, i) => {
    const end = finished[i + 1]?.firstPts ?? p.endPts;
    return { file: p.file, seconds: ((end - p.firstPts) * tb.num) / tb.den };
  });
}

/** The output's extension (it picks the container); the input is never the output. */
async function checkPaths(input: string, output: string): Promise<string> {
  const extension = extname(output);
  if (!extension) throw new WgsrError('BAD_ARGUMENT', `${output}: give the output a file extension (.mp4, .mkv, .webm, .mov): it picks the container`);
  if (await sameFile(input, output)) throw new WgsrError('BAD_ARGUMENT', `${output} is the input file; choose another output name (wgsr never overwrites its input)`);
  const dir = await stat(dirname(output)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new WgsrError('IO', `${output}: the folder ${dirname(output)} does not exist`);
  return extension;
}

/** A stop (abort) or failure, saying what is kept for --resume. */
function stopped(e: unknown, counts: { done: number; skipped: number }, parts: VideoParts): unknown {
  const kept = parts.finished.length
    ? `${parts.finished.length} finished segment${parts.finished.length > 1 ? 's' : ''} kept in ${parts.dir}: run the same command with --resume to continue`
    : 'no segment was finished, so nothing is kept';
  if (isWgsrError(e) && e.code === 'ABORTED') {
    return new WgsrError('ABORTED', `stopped after ${counts.done + counts.skipped} frames; ${kept}`, { cause: e });
  }
  if (isWgsrError(e)) return new WgsrError(e.code, `${e.message} (${kept})`, { cause: e });
  return e;
}

function progress(counts: { done: number; skipped: number; total?: number }, began: number): VideoProgress {
  const seconds = (Date.now() - began) / 1000;
  const fps = seconds > 0 ? counts.done / seconds : 0;
  const left = counts.total === undefined ? undefined : Math.max(0, counts.total - counts.done - counts.skipped);
  return { done: counts.done, skipped: counts.skipped, total: counts.total, fps, etaSeconds: left !== undefined && fps > 0 ? left / fps : undefined };
}

/** The selection's frame count: the container's count when all is taken, else duration × frame rate. */
function frameTotal(info: VideoInfo, options: Pick<VideoOptions, 'start' | 'duration'>): number | undefined {
  if (!options.start && !options.duration && info.frames) return info.frames;
  if (!info.fps) return undefined;
  const start = options.start ? parseTime(options.start) : 0;
  const available = info.duration === undefined ? undefined : Math.max(0, info.duration - start);
  const wanted = options.duration ? parseTime(options.duration) : available;
  const seconds = wanted === undefined ? undefined : available === undefined ? wanted : Math.min(wanted, available);
  return seconds === undefined ? undefined : Math.round(seconds * info.fps);
}

/** ffmpeg's time syntax: [-][HH:]MM:SS[.m…] or seconds. */
export function parseTime(text: string): number {
  const m = /^(-)?(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$/.exec(text.trim());
  if (!m) throw new WgsrError('BAD_ARGUMENT', `"${text}" is not a time: use seconds (65.5) or [HH:]MM:SS[.ms] (00:01:05.5)`);
  const seconds = Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4]);
  return m[1] ? -seconds : seconds;
}
