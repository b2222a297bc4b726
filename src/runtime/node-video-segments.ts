import { rm } from 'node:fs/promises';
import type { Image } from '../image/types.js';
import { FrameSink, type EncoderOptions } from '../io/video/encode.js';
import type { RawFormat } from '../io/video/nut.js';
import type { VideoParts } from './node-video-parts.js';

/** A frame's place and timing in the source. */
export interface FrameTiming {
  /** Frame number from the start of the selection. */
  n: number;
  pts: number;
  duration: number;
}

export interface SegmentSettings {
  segmentFrames: number;
  /** The parts' file extension (the output's: the same container). */
  extension: string;
  raw: RawFormat;
  timeBase: () => { num: number; den: number };
  frameRate?: string;
  encoder: Pick<EncoderOptions, 'codec' | 'crf' | 'preset' | 'pixFmt'>;
  warn: (message: string) => void;
}

/**
 * Encodes upscaled frames segment by segment: frames n·S … (n+1)·S − 1 go to part n, an
 * ffmpeg of its own; a part is listed in the manifest only once its encoder has finished the
 * file, so a stopped run leaves finished parts and nothing half-written that resume would trust.
 * Each part's timestamps start at its first frame's pts (ffmpeg starts every file at zero
 * anyway); the parts' exact spans join them again in muxParts.
 */
export class SegmentWriter {
  private current?: { index: number; file: string; sink: FrameSink; firstFrame: number; frames: number; firstPts: number; lastPts: number; endPts: number };
  private warnedOrder = false;

  constructor(
    private readonly parts: VideoParts,
    private readonly settings: SegmentSettings,
  ) {}

  async write(image: Image, t: FrameTiming): Promise<void> {
    const index = Math.floor(t.n / this.settings.segmentFrames);
    if (this.current && this.current.index !== index) await this.finish();
    const part = (this.current ??= this.open(index, image, t));
    let pts = t.pts - part.firstPts;
    if (part.frames > 0 && pts <= part.lastPts) {
      // A stream whose timestamps do not increase cannot be muxed as it is; nudge by one tick.
      if (!this.warnedOrder) this.settings.warn(`frame ${t.n}: its timestamp ${t.pts} does not increase; moved after the frame before`);
      this.warnedOrder = true;
      pts = part.lastPts + 1;
    }
    await part.sink.write(image, pts);
    part.frames++;
    part.lastPts = pts;
    part.endPts = part.firstPts + pts + Math.max(t.duration, 1);
  }

  /** Finishes the open part and records it. */
  async finish(): Promise<void> {
    const part = this.current;
    if (!part) return;
    this.current = undefined;
    await part.sink.finish();
    const { index, file, firstFrame, frames, firstPts, endPts } = part;
    await this.parts.record({ index, file, firstFrame, frames, firstPts, endPts }, this.settings.timeBase());
  }

  /** Drops the open part (its file is not a finished video). */
  async abort(): Promise<void> {
    const part = this.current;
    if (!part) return;
    this.current = undefined;
    await part.sink.abort();
    await rm(this.parts.path(part.file), { force: true });
  }

  private open(index: number, image: Image, t: FrameTiming) {
    const { settings } = this;
    const file = `part-${String(index).padStart(5, '0')}${settings.extension}`;
    const stream = { format: settings.raw, width: image.width, height: image.height, timeBase: settings.timeBase(), frameRate: settings.frameRate };
    const sink = new FrameSink({ output: this.parts.path(file), stream, ...settings.encoder });
    return { index, file, sink, firstFrame: t.n, frames: 0, firstPts: t.pts, lastPts: 0, endPts: t.pts };
  }
}
