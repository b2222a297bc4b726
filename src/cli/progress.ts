import type { CommandIO } from './command.js';

/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, plain lines otherwise (logs, CI),
 * at most one line per second so a large tiled image does not flood a log.
 */
export class Progress {
  private readonly start = Date.now();
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly interactive: boolean,
    private readonly write: (text: string) => void,
  ) {}

  update(done: number, total: number): void {
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const stats = `${done}/${total} tiles  ${elapsed.toFixed(1)}s${done > 0 && done < total ? `  ETA ${eta.toFixed(1)}s` : ''}`;
    if (this.interactive) {
      const width = 24;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      this.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats}\x1b[K`);
      if (done === total) this.write('\n');
    } else if (done === total || Date.now() - this.lastLine >= 1000) {
      this.lastLine = Date.now();
      this.write(`${this.label}: ${stats}\n`);
    }
  }
}

/** Tile progress for one image on the command's stderr: a terminal gets the bar redrawn in place (raw writes), anything else whole lines. */
export function tileProgress(label: string, io: CommandIO): (done: number, total: number) => void {
  const write = io.interactive ? (t: string) => void process.stderr.write(t) : (t: string) => io.stderr(t.replace(/\n$/, ''));
  const progress = new Progress(label, io.interactive, write);
  return (done, total) => progress.update(done, total);
}
