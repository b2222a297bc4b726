import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { WgsrError } from '../../errors.js';

/**
 * Finding and running FFmpeg. Video frames come from and go to Debian's `ffmpeg` over pipes;
 * `WGSR_FFMPEG` / `WGSR_FFPROBE` name other binaries.
 */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

const checked = new Set<string>();

/** The ffmpeg and ffprobe binaries, checked once each; a clear error when they are missing. */
export function ffmpegTools(): FfmpegTools {
  const tools = { ffmpeg: process.env.WGSR_FFMPEG || 'ffmpeg', ffprobe: process.env.WGSR_FFPROBE || 'ffprobe' };
  if (checked.has(`${tools.ffmpeg}\0${tools.ffprobe}`)) return tools;
  for (const bin of [tools.ffmpeg, tools.ffprobe]) {
    const r = spawnSync(bin, ['-version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error || r.status !== 0) {
      throw new WgsrError(
        'IO',
        `video needs FFmpeg, and "${bin}" ${r.error ? 'was not found' : 'does not run'}: install it ` +
          '(Debian/Ubuntu: apt-get install ffmpeg; scripts/setup.sh does), or point WGSR_FFMPEG and WGSR_FFPROBE at the binaries',
      );
    }
  }
  checked.add(`${tools.ffmpeg}\0${tools.ffprobe}`);
  return tools;
}

/** The last lines of a tool's stderr, for an error message. */
export function stderrTail(stderr: string, lines = 6): string {
  const kept = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines);
  return kept.length ? kept.join(' | ') : '(no message)';
}

/** Collects a child's stderr (bounded: the last 64 KiB) for error messages. */
export function captureStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-65536);
  });
  return () => text;
}

/** Resolves with the exit code (or the signal's name) once the child has exited and its pipes closed. */
export function exited(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
}

/**
 * Runs a tool to the end; resolves with its stdout, or fails with WgsrError('IO') naming
 * `what` and the end of its stderr.
 */
export async function runTool(bin: string, args: readonly string[], what: string): Promise<string> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = captureStderr(child);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const code = await exited(child).catch((e: unknown) => {
    throw new WgsrError('IO', `${what}: cannot run ${bin}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  });
  if (code !== 0) throw new WgsrError('IO', `${what}: ${bin} failed (${code}): ${stderrTail(stderr())}`);
  return stdout;
}
