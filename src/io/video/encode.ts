import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { WgsrError } from '../../errors.js';
import type { Image } from '../../image/types.js';
import { captureStderr, exited, ffmpegTools, stderrTail } from './ffmpeg.js';
import { nutFrameHeader, nutHeader, type NutStream } from './nut.js';

export interface EncoderOptions {
  /** The file ffmpeg writes (its extension picks the container). */
  output: string;
  stream: NutStream;
  /** ffmpeg's encoder name, e.g. libx264. */
  codec: string;
  crf?: number;
  preset?: string;
  /** The encoded pixel format; absent: ffmpeg's choice for the codec. */
  pixFmt?: string;
}

/**
 * Frames into ffmpeg: a NUT stream of raw RGB frames with their timestamps on its stdin
 * (nut.ts), encoded with `-fps_mode passthrough -enc_time_base -1` so every frame keeps its
 * pts in the source's time base. Writes wait when the pipe is full (ffmpeg sets the pace).
 */
export class FrameSink {
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private readonly stderr: () => string;
  private started = false;
  private broken: Error | undefined;
  private frames = 0;

  constructor(private readonly options: EncoderOptions) {
    const { ffmpeg } = ffmpegTools();
    const args = [
      '-v', 'error', '-y',
      '-f', 'nut', '-i', 'pipe:0',
      '-map', '0:v', '-fps_mode', 'passthrough', '-enc_time_base', '-1',
      '-c:v', options.codec,
      ...(options.crf !== undefined ? ['-crf', String(options.crf)] : []),
      ...(options.preset ? ['-preset', options.preset] : []),
      ...(options.pixFmt ? ['-pix_fmt', options.pixFmt] : []),
      options.output,
    ]; // prettier-ignore
    this.child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.on('error', () => undefined); // reported by finish()
    this.stderr = captureStderr(this.child);
    this.stdin = this.child.stdin as Writable;
    this.stdin.on('error', (e) => (this.broken ??= e));
  }

  /** Queues one frame at `pts` (in the stream's time base, ≥ 0, increasing). */
  async write(image: Image, pts: number): Promise<void> {
    const { stream } = this.options;
    if (image.width !== stream.width || image.height !== stream.height) {
      throw new Error(`frame ${this.frames} is ${image.width}×${image.height}, the stream ${stream.width}×${stream.height}`);
    }
    const bytes = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    if (!this.started) {
      this.started = true;
      await this.send(nutHeader(stream, pts));
    }
    await this.send(nutFrameHeader(pts, bytes.length));
    await this.send(bytes);
    this.frames++;
  }

  /** Ends the stream and waits for ffmpeg to finish the file; fails with its message otherwise. */
  async finish(): Promise<void> {
    this.stdin.end();
    const code = await exited(this.child).catch((e: unknown) => e);
    if (code !== 0) {
      throw new WgsrError('IO', `encoding ${this.options.output} failed (ffmpeg ${String(code)}): ${stderrTail(this.stderr())}`);
    }
  }

  /** Stops ffmpeg at once (what it wrote is not a finished file). */
  async abort(): Promise<void> {
    this.stdin.destroy();
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await exited(this.child).catch(() => undefined);
  }

  private async send(bytes: Uint8Array): Promise<void> {
    if (this.broken || this.child.exitCode !== null) return this.fail();
    if (this.stdin.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stdin.off('drain', done);
        this.child.off('close', done);
        resolve();
      };
      this.stdin.once('drain', done);
      this.child.once('close', done);
    });
    if (this.broken || this.child.exitCode !== null) return this.fail();
  }

  /** ffmpeg stopped reading: its own message says why. */
  private async fail(): Promise<never> {
    const code = await exited(this.child).catch(() => 'error');
    throw new WgsrError('IO', `encoding ${this.options.output} failed (ffmpeg ${String(code)}): ${stderrTail(this.stderr())}`);
  }
}
