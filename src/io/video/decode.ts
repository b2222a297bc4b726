import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { WgsrError } from '../../errors.js';
import type { Image } from '../../image/types.js';
import { captureStderr, exited, ffmpegTools, stderrTail } from './ffmpeg.js';
import type { RawFormat } from './nut.js';

/** One decoded frame and its timing, in the time base of `FrameSource.timeBase`. */
export interface DecodedFrame {
  image: Image;
  pts: number;
  duration: number;
}

export interface FrameSourceOptions {
  input: string;
  /** The stream's index in the file. */
  streamIndex: number;
  width: number;
  height: number;
  format: RawFormat;
  /** ffmpeg time strings: where to start and how much to read (input seeking: frame-exact when decoding). */
  start?: string;
  duration?: string;
}

const LAYOUT: Record<RawFormat, { channels: 3 | 4; bitDepth: 8 | 16 }> = {
  rgb24: { channels: 3, bitDepth: 8 },
  rgba: { channels: 4, bitDepth: 8 },
  rgb48le: { channels: 3, bitDepth: 16 },
  rgba64le: { channels: 4, bitDepth: 16 },
};

/**
 * Frames out of ffmpeg: raw RGB on stdout (`-f rawvideo`, no frame files), and each frame's pts
 * and duration on a second pipe (fd 3) in ffmpeg's `framecrc` format, both from the same
 * decoded stream with `-fps_mode passthrough` (no frame dropped or duplicated) and
 * `-enc_time_base -1` (timestamps in the stream's own time base, not rounded to a frame
 * rate), so a variable frame rate is read exactly. The timestamp pipe is read eagerly and
 * flushed per frame, so it can never hold up the frames.
 */
export class FrameSource implements AsyncIterable<DecodedFrame> {
  private readonly child: ChildProcess;
  private readonly stderr: () => string;
  private readonly timings: { pts: number; duration: number }[] = [];
  private timingWaiters: (() => void)[] = [];
  private timingsEnded = false;
  private base: { num: number; den: number } | undefined;
  private closed = false;

  constructor(private readonly options: FrameSourceOptions) {
    const { ffmpeg } = ffmpegTools();
    const map = ['-map', `0:${options.streamIndex}`, '-fps_mode', 'passthrough'];
    const args = [
      '-nostdin', '-v', 'error',
      ...(options.start ? ['-ss', options.start] : []),
      ...(options.duration ? ['-t', options.duration] : []),
      '-i', options.input,
      ...map, '-f', 'rawvideo', '-pix_fmt', options.format, 'pipe:1',
      ...map, '-enc_time_base', '-1', '-flush_packets', '1', '-f', 'framecrc', 'pipe:3',
    ]; // prettier-ignore
    this.child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.child.on('error', () => undefined); // reported by exited()
    this.stderr = captureStderr(this.child);
    this.readTimings(this.child.stdio[3] as Readable);
  }

  /** The time base of every pts and duration (known once the first frame's timing arrived). */
  get timeBase(): { num: number; den: number } {
    if (!this.base) throw new Error('FrameSource.timeBase is known after the first frame');
    return this.base;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DecodedFrame> {
    const { width, height, format } = this.options;
    const { channels, bitDepth } = LAYOUT[format];
    const bytes = width * height * channels * (bitDepth / 8);
    const stdout = new ByteReader(this.child.stdout as Readable);
    try {
      for (let n = 0; ; n++) {
        const chunk = await stdout.read(bytes);
        if (!chunk) break;
        if (chunk.length < bytes) throw new WgsrError('IO', `${this.options.input}: frame ${n} was cut short (${chunk.length} of ${bytes} bytes)`);
        const timing = await this.timing(n);
        const data = bitDepth === 8 ? new Uint8Array(chunk) : new Uint16Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + bytes));
        yield { image: { width, height, channels, bitDepth, data }, ...timing };
      }
      const code = await exited(this.child);
      if (code !== 0 && !this.closed) throw new WgsrError('IO', `decoding ${this.options.input} failed (ffmpeg ${code}): ${stderrTail(this.stderr())}`);
    } finally {
      this.close();
    }
  }

  /** Stops ffmpeg (when the frames are no longer wanted). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private async timing(n: number): Promise<{ pts: number; duration: number }> {
    while (n >= this.timings.length) {
      if (this.timingsEnded) {
        await exited(this.child);
        throw new WgsrError('IO', `decoding ${this.options.input}: ffmpeg gave no timestamp for frame ${n}: ${stderrTail(this.stderr())}`);
      }
      await new Promise<void>((resolve) => this.timingWaiters.push(resolve));
    }
    return this.timings[n]!;
  }

  /** Parses framecrc lines: `#tb 0: 1/25`, then `stream, dts, pts, duration, size, crc` per frame. */
  private readTimings(pipe: Readable): void {
    let rest = '';
    const wake = () => {
      const waiters = this.timingWaiters;
      this.timingWaiters = [];
      waiters.forEach((w) => w());
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const tb = /^#tb 0: (\d+)\/(\d+)/.exec(line);
        if (tb) this.base = { num: Number(tb[1]), den: Number(tb[2]) };
        const f = /^0,\s*(-?\d+),\s*(-?\d+),\s*(\d+),/.exec(line);
        if (f) this.timings.push({ pts: Number(f[2]), duration: Number(f[3]) });
      }
      wake();
    });
    pipe.on('close', () => {
      this.timingsEnded = true;
      wake();
    });
    pipe.on('error', () => undefined);
  }
}

/**
 * Reads a stream in pieces of a given size. One 'readable' listener stays attached for the
 * stream's life: attaching and removing one per read can switch the stream to flowing mode
 * between reads, and then bytes are emitted to no one.
 */
class ByteReader {
  private wake: (() => void) | undefined;

  constructor(private readonly stream: Readable) {
    const poke = () => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    stream.on('readable', poke);
    stream.on('end', poke);
    stream.on('close', poke);
    stream.on('error', poke);
  }

  /** Exactly `n` bytes, fewer at the very end, or null at the end. */
  async read(n: number): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.stream.read(n) as Buffer | null;
      if (chunk) return chunk;
      if (this.stream.readableEnded || this.stream.destroyed) return (this.stream.read() as Buffer | null) ?? null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
