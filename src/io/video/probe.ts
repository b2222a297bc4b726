import { stat } from 'node:fs/promises';
import { ioError } from '../fs-errors.js';
import { notRegularFile } from '../read-file.js';
import { WgsrError } from '../../errors.js';
import { ffmpegTools, runTool } from './ffmpeg.js';

/** What wgsr needs to know about a video file (from ffprobe). */
export interface VideoInfo {
  /** The video stream's index in the file (what `-map 0:INDEX` picks). */
  index: number;
  width: number;
  height: number;
  /** The decoder's pixel format, e.g. yuv420p, yuv420p10le, yuva420p. */
  pixFmt: string;
  codec: string;
  /** The largest bit depth of its components, and whether it carries alpha. */
  bits: number;
  alpha: boolean;
  /** ffprobe's r_frame_rate ("30000/1001"), when known. */
  frameRate?: string;
  /** Frames per second from avg_frame_rate (or r_frame_rate), when known. */
  fps?: number;
  /** Seconds, of the video stream or else of the file. */
  duration?: number;
  /** The stream's frame count when the container states it. */
  frames?: number;
  audioStreams: number;
  subtitleStreams: number;
}

interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
}

const rate = (r: string | undefined): number | undefined => {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n && d ? n / d : undefined;
};

/**
 * The input must be a regular file: ffprobe on a FIFO waits for a writer (until its time limit),
 * on a device it reads without end. Checked before any model or GPU work.
 */
export async function checkVideoFile(path: string): Promise<void> {
  const stats = await stat(path).catch((e: unknown) => {
    throw ioError(e, `cannot read ${path}`);
  });
  if (!stats.isFile()) throw new WgsrError('IO', notRegularFile(path, path, stats));
}

export async function probeVideo(path: string): Promise<VideoInfo> {
  await checkVideoFile(path);
  const { ffprobe } = ffmpegTools();
  const json = await runTool(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path], `cannot read ${path}`);
  const parsed = JSON.parse(json) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = parsed.streams ?? [];
  // Cover art (an attached picture) is a video stream too: the first stream that is not one.
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height || !video.pix_fmt) {
    throw new WgsrError('BAD_IMAGE', `${path}: no video stream that ffprobe can describe (streams: ${streams.map((s) => s.codec_type).join(', ') || 'none'})`);
  }
  const format = await pixelFormat(video.pix_fmt);
  const fps = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  const duration = Number(video.duration ?? parsed.format?.duration);
  const frames = Number(video.nb_frames);
  return {
    index: video.index,
    width: video.width,
    height: video.height,
    pixFmt: video.pix_fmt,
    codec: video.codec_name ?? 'unknown',
    ...format,
    frameRate: rate(video.r_frame_rate) ? video.r_frame_rate : undefined,
    fps,
    duration: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    frames: Number.isInteger(frames) && frames > 0 ? frames : undefined,
    audioStreams: streams.filter((s) => s.codec_type === 'audio').length,
    subtitleStreams: streams.filter((s) => s.codec_type === 'subtitle').length,
  };
}

interface PixelFormatEntry {
  name: string;
  flags?: { alpha?: number };
  components?: { bit_depth: number }[];
}

let pixelFormats: Promise<Map<string, PixelFormatEntry>> | undefined;

/** Bit depth and alpha of a pixel format, from ffprobe's own table. */
export async function pixelFormat(name: string): Promise<{ bits: number; alpha: boolean }> {
  pixelFormats ??= runTool(ffmpegTools().ffprobe, ['-v', 'error', '-print_format', 'json', '-show_pixel_formats'], 'ffprobe -show_pixel_formats').then(
    (json) => new Map((JSON.parse(json) as { pixel_formats: PixelFormatEntry[] }).pixel_formats.map((p) => [p.name, p])),
  );
  const entry = (await pixelFormats).get(name);
  if (!entry) return { bits: 8, alpha: false };
  return { bits: Math.max(8, ...(entry.components ?? []).map((c) => c.bit_depth)), alpha: entry.flags?.alpha === 1 };
}

/** The pixel formats an encoder takes (`ffmpeg -h encoder=NAME`); an unknown encoder is an error. */
export async function encoderPixelFormats(codec: string): Promise<string[]> {
  const { ffmpeg } = ffmpegTools();
  const help = await runTool(ffmpeg, ['-hide_banner', '-h', `encoder=${codec}`], `ffmpeg -h encoder=${codec}`);
  if (!/^Encoder /m.test(help)) throw new WgsrError('BAD_ARGUMENT', `this ffmpeg has no encoder "${codec}" (ffmpeg -encoders lists them)`);
  const line = /Supported pixel formats:(.*)/.exec(help);
  return line ? line[1]!.trim().split(/\s+/) : [];
}
