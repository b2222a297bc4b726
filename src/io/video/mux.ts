import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isWgsrError } from '../../errors.js';
import { ffmpegTools, runTool } from './ffmpeg.js';

/** One encoded segment and how long it lasts on the timeline. */
export interface VideoPart {
  /** A file in the list's folder. */
  file: string;
  seconds: number;
}

export interface MuxOptions {
  parts: readonly VideoPart[];
  /** Where the concat list is written (beside the parts). */
  listFile: string;
  /** The finished file (a temporary name: the caller renames it). */
  output: string;
  /** The source, whose audio, subtitles, chapters and metadata are copied. */
  source: string;
  /** The same trimming the frames were decoded with. */
  start?: string;
  duration?: string;
  /** The time of the first frame on the source's timeline (seconds), which the parts start at zero from. */
  videoOffset: number;
  /** Whether the source has subtitle streams worth trying. */
  subtitles: boolean;
}

/**
 * Joins the encoded segments (stream copy, through ffmpeg's concat demuxer with each part's
 * exact duration, so frame times run on across parts) and copies the source's audio,
 * subtitles, chapters and metadata beside them. A container that cannot take the source's
 * subtitles as they are (SubRip into MP4, say) gets the video without them, and the result
 * says so.
 */
export async function muxParts(options: MuxOptions): Promise<{ subtitlesDropped: boolean }> {
  const list = ['ffconcat version 1.0', ...options.parts.flatMap((p) => [`file '${basename(p.file)}'`, `duration ${p.seconds.toFixed(9)}`])];
  await writeFile(options.listFile, list.join('\n') + '\n');
  const run = (subtitles: boolean) => {
    const { ffmpeg } = ffmpegTools();
    const args = [
      '-nostdin', '-v', 'error', '-y',
      '-itsoffset', options.videoOffset.toFixed(6), '-f', 'concat', '-safe', '0', '-i', options.listFile,
      ...(options.start ? ['-ss', options.start] : []),
      ...(options.duration ? ['-t', options.duration] : []),
      '-i', options.source,
      '-map', '0:v:0', '-map', '1:a?', ...(subtitles ? ['-map', '1:s?'] : []),
      '-map_metadata', '1', '-map_chapters', '1', '-c', 'copy',
      options.output,
    ]; // prettier-ignore
    return runTool(ffmpeg, args, `joining the parts into ${options.output}`);
  };
  try {
    await run(options.subtitles);
    return { subtitlesDropped: false };
  } catch (e) {
    if (!options.subtitles || !isWgsrError(e)) throw e;
    try {
      await run(false);
    } catch {
      throw e;
    }
    return { subtitlesDropped: true };
  }
}
