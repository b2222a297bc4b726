import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Tiny test videos made by ffmpeg itself (testsrc pictures, a sine tone), and ffprobe's view of
 * a file. Video tests skip, saying so, where ffmpeg is not installed (scripts/setup.sh and CI
 * install Debian's).
 */
export const HAVE_FFMPEG = ['ffmpeg', 'ffprobe'].every((bin) => spawnSync(bin, ['-version']).status === 0);
if (!HAVE_FFMPEG) console.log('ffmpeg/ffprobe not found (apt-get install ffmpeg; scripts/setup.sh does): skipping the video tests');

export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/**
 * `frames` frames (8) of testsrc at 25 fps, w×h, with a 440 Hz tone of the same length. `vf` adds a
 * filter (e.g. uneven timestamps), `video` the encoder arguments.
 */
export function makeClip(
  dir: string,
  name: string,
  { w = 48, h = 32, frames = 8, vf, video = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'], audio = true }: { w?: number; h?: number; frames?: number; vf?: string; video?: string[]; audio?: boolean } = {},
): string {
  const file = join(dir, name);
  const seconds = frames / 25;
  ffmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=${w}x${h}:rate=25:duration=${seconds}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`] : []),
    ...(vf ? ['-vf', vf, '-fps_mode', 'passthrough'] : []),
    ...video, ...(audio ? ['-c:a', 'aac'] : []), file,
  ]); // prettier-ignore
  return file;
}

export interface Probed {
  streams: { codec_type: string; width?: number; height?: number; pix_fmt?: string; r_frame_rate?: string; duration?: string; start_time?: string; nb_read_frames?: string }[];
  format: { duration?: string };
}

export function probe(file: string): Probed {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-print_format', 'json', '-show_streams', '-show_format', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probed;
}

/** Each video frame's pts in seconds, as ffprobe reads them. */
export function frameTimes(file: string): number[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(',')[0]!.trim())
    .filter(Boolean)
    .map(Number);
}

/** Frame `n` of a video as a PNG file (8- or 16-bit RGB, or RGBA). */
export function framePng(video: string, n: number, out: string, pixFmt = 'rgb24'): string {
  ffmpeg(['-i', video, '-vf', `select=eq(n\\,${n})`, '-fps_mode', 'passthrough', '-frames:v', '1', '-pix_fmt', pixFmt, out]);
  return out;
}
