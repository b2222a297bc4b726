import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Runs the real command line in a child process, under a wall-clock and a memory bound, so a
 * case that hangs or allocates without end fails the test instead of the machine. The CLI is
 * bundled from src/ (esbuild, which vitest brings) into node_modules/.cache, next to the
 * packages it imports, so the test never runs a stale dist/.
 */
const ROOT = resolve(__dirname, '../..');
// Two folders below the root, as dist/cli/ is, so paths the CLI finds relative to itself (the
// bundled model in models/default) resolve the same.
const OUT = resolve(ROOT, 'node_modules/.cache/wgsr-hostile-cli.mjs');
let bundled: Promise<string> | undefined;

export function cliBundle(): Promise<string> {
  bundled ??= build({
    stdin: { contents: `import { launch } from './src/cli/launch.ts';\nprocess.exitCode = await launch(process.argv.slice(2));\n`, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: OUT,
    logLevel: 'silent',
  }).then(() => OUT);
  return bundled;
}

export interface Bounded {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Largest resident memory of the process tree seen, in MiB (0 where /proc is missing). */
  peakMiB: number;
  /** Why the run was stopped, if it was. */
  killed?: 'time' | 'memory';
}

export interface Bounds {
  seconds: number;
  mib: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Sends `signal` to the CLI (the launcher) once its stderr matches `when`. */
  interrupt?: { when: RegExp; signal: NodeJS.Signals };
}

/** Resident memory of `pid` and every process below it, in KiB, from /proc (Linux). */
function treeKiB(pid: number): number {
  let kib = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
      for (const child of children ? children.split(/\s+/) : []) kib += treeKiB(Number(child));
    }
  } catch {
    // The process ended between two reads.
  }
  return kib;
}

/** Runs `wgsr <args>` and stops it (SIGKILL, whole group) past either bound. */
export async function runBounded(args: string[], bounds: Bounds): Promise<Bounded> {
  const entry = await cliBundle();
  const started = performance.now();
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: bounds.cwd ?? ROOT,
    env: { ...process.env, ...bounds.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a kill reaches the launcher's child too
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let interrupted = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (bounds.interrupt && !interrupted && bounds.interrupt.when.test(stderr)) {
      interrupted = true;
      child.kill(bounds.interrupt.signal);
    }
  });
  let peakKiB = 0;
  let killed: Bounded['killed'];
  const kill = (why: 'time' | 'memory') => {
    killed ??= why;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const canMeasure = existsSync('/proc/self/status');
  const poll = setInterval(() => {
    if (!canMeasure) return;
    peakKiB = Math.max(peakKiB, treeKiB(child.pid!));
    if (peakKiB > bounds.mib * 1024) kill('memory');
  }, 25);
  const timer = setTimeout(() => kill('time'), bounds.seconds * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('close', (c, s) => done([c, s])));
  clearInterval(poll);
  clearTimeout(timer);
  return { code, signal, stdout, stderr, ms: performance.now() - started, peakMiB: Math.round(peakKiB / 1024), ...(killed && { killed }) };
}
