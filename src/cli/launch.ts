import { spawn } from 'node:child_process';
import { main } from './main.js';
import { SIGNAL_EXIT } from './signals.js';

/**
 * Dawn (the `webgpu` package) prints "Warning: max… artificially reduced from … to fit dynamic
 * offset allocation limit." from native code straight to file descriptor 2 whenever it creates
 * an adapter, on every run, with no toggle to silence it; JavaScript cannot intercept a native
 * write. So the commands that create a device run in a child process whose stderr passes through
 * this one, where exactly those lines (and nothing else) are dropped. Everything else is
 * forwarded as it arrives, partial lines (progress bars) included.
 */
export const DAWN_NOISE = /^Warning: max\w+ artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

const GPU_COMMANDS = new Set(['upscale', 'video', 'eval', 'train', 'bench', 'tune', 'adapter']);
const CHILD = 'WGSR_LAUNCHED';

export async function launch(argv: string[]): Promise<number> {
  const command = argv.find((a) => !a.startsWith('-'));
  if (process.env[CHILD] || !command || !GPU_COMMANDS.has(command)) {
    const interactive = process.env[CHILD] ? process.env[CHILD] === 'tty' : Boolean(process.stderr.isTTY);
    return main(argv, { stdout: (l) => process.stdout.write(l + '\n'), stderr: (l) => process.stderr.write(l + '\n'), interactive });
  }
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD]: process.stderr.isTTY ? 'tty' : 'pipe' },
  });
  const filter = new NoiseFilter((text) => process.stderr.write(text));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
  // A signal sent to this process alone (kill <pid>) is passed on; one from the terminal
  // reaches both, and the child counts a repeat within a second once (signals.ts).
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('close', (c, s) => done([c, s])));
  filter.end();
  for (const [s, h] of handlers) process.removeListener(s, h);
  if (code !== null) return code;
  return 128 + ((signal && { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }[signal as string]) || 0);
}

/** Forwards text, holding back only a line that may still turn out to be Dawn's warning. */
export class NoiseFilter {
  private line = '';
  constructor(private readonly write: (text: string) => void) {}

  push(text: string): void {
    this.line += text;
    let newline: number;
    while ((newline = this.line.indexOf('\n')) >= 0) {
      const line = this.line.slice(0, newline);
      this.line = this.line.slice(newline + 1);
      if (!DAWN_NOISE.test(line)) this.write(line + '\n');
    }
    // A partial line that cannot be the warning goes out now (a progress bar redrawn with \r).
    if (this.line && !'Warning: max'.startsWith(this.line.slice(0, 12)) ) {
      this.write(this.line);
      this.line = '';
    }
  }

  end(): void {
    if (this.line && !DAWN_NOISE.test(this.line)) this.write(this.line);
    this.line = '';
  }
}
