import { main } from '../../src/cli/main.js';

export interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** Runs `wgsr <argv>` in this process, collecting its output lines. */
export async function run(...argv: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), interactive: false });
  return { code, stdout, stderr };
}
