import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WgsrError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

/** A finished segment: its file and the frames and times it holds. */
export interface PartRecord {
  index: number;
  file: string;
  firstFrame: number;
  frames: number;
  /** pts of its first frame, and pts + duration of its last, in the stream's time base. */
  firstPts: number;
  endPts: number;
}

interface Manifest {
  version: 1;
  /** The input as it was (a changed file makes the parts worthless). */
  input: { path: string; size: number; mtimeMs: number };
  /** Everything that changes the frames or their encoding: model, options, segment length. */
  settings: Record<string, unknown>;
  timeBase?: { num: number; den: number };
  parts: PartRecord[];
}

/**
 * The folder beside the output (`<output>.wgsr-parts/`) where a video is encoded segment by
 * segment, and its manifest (job.json), rewritten atomically after each finished segment.
 * This is what `--resume` reads: segments the manifest lists are kept, the rest redone. A
 * segment in progress when the run stopped is not listed, so its file is simply overwritten.
 */
export class VideoParts {
  private constructor(
    readonly dir: string,
    private readonly manifest: Manifest,
  ) {}

  static folderFor(output: string): string {
    return `${resolve(output)}.wgsr-parts`;
  }

  /** A new folder, or with `resume` the existing one when it belongs to this input and these settings. */
  static async open(output: string, input: string, settings: Record<string, unknown>, resume: boolean): Promise<VideoParts> {
    const dir = VideoParts.folderFor(output);
    const file = join(dir, 'job.json');
    const info = await stat(input);
    const current = { path: resolve(input), size: info.size, mtimeMs: info.mtimeMs };
    const existing = await readFile(file, 'utf8').then(
      (text) => JSON.parse(text) as Manifest,
      () => undefined,
    );
    if (existing && !resume) {
      throw new WgsrError('BAD_ARGUMENT', `${dir} holds the segments of an interrupted run: add --resume to continue it, or delete the folder to start over`);
    }
    if (existing) {
      const why = mismatch(existing, current, settings);
      if (why) throw new WgsrError('BAD_ARGUMENT', `cannot resume from ${dir}: ${why}; delete the folder to start over`);
      return new VideoParts(dir, existing);
    }
    await mkdir(dir, { recursive: true });
    const parts = new VideoParts(dir, { version: 1, input: current, settings, parts: [] });
    await parts.save();
    return parts;
  }

  get finished(): readonly PartRecord[] {
    return this.manifest.parts;
  }

  get timeBase(): { num: number; den: number } | undefined {
    return this.manifest.timeBase;
  }

  /** The finished part holding frame `n`, if any. */
  partOf(n: number): PartRecord | undefined {
    return this.manifest.parts.find((p) => n >= p.firstFrame && n < p.firstFrame + p.frames);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  async record(part: PartRecord, timeBase: { num: number; den: number }): Promise<void> {
    this.manifest.timeBase = timeBase;
    this.manifest.parts = [...this.manifest.parts.filter((p) => p.index !== part.index), part].sort((a, b) => a.index - b.index);
    await this.save();
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private save(): Promise<void> {
    return writeFileAtomic(join(this.dir, 'job.json'), new TextEncoder().encode(JSON.stringify(this.manifest, null, 2)));
  }
}

function mismatch(m: Manifest, input: Manifest['input'], settings: Record<string, unknown>): string | undefined {
  if (m.version !== 1) return 'it was made by another version of wgsr';
  if (m.input.path !== input.path) return `it was made from ${m.input.path}`;
  if (m.input.size !== input.size || m.input.mtimeMs !== input.mtimeMs) return `${input.path} changed since`;
  const keys = [...new Set([...Object.keys(m.settings), ...Object.keys(settings)])];
  const differ = keys.filter((k) => JSON.stringify(m.settings[k]) !== JSON.stringify(settings[k]));
  return differ.length ? `it was made with other settings (${differ.join(', ')})` : undefined;
}
