import { isWgsrError } from '../errors.js';
import { SUPPORTED_ARCHITECTURES } from '../models/registry.js';
import type { CommandIO } from './command.js';
import { COMMANDS } from './commands.js';

const VERSION = '0.1.0';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'wgsr — image super-resolution on WebGPU',
    '',
    `Networks: ${SUPPORTED_ARCHITECTURES}.`,
    '',
    'Usage: wgsr <command> [options]      (wgsr <command> --help for its options)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options: --help, --version, --verbose (show stack traces of unexpected errors)',
  ].join('\n');
}

/** Runs the CLI and returns the exit code. Never throws: every error becomes one line on stderr. */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`wgsr: unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isWgsrError(e)) {
      io.stderr(`wgsr ${name}: ${e.message}`);
      if (verbose && e.stack) io.stderr(e.stack);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`wgsr ${name}: unexpected error: ${message}${verbose ? '' : ' (run with --verbose for details)'}`);
    if (verbose && e instanceof Error && e.stack) io.stderr(e.stack);
    return 70;
  }
}

function defaultIO(): CommandIO {
  return {
    stdout: (line) => process.stdout.write(line + '\n'),
    stderr: (line) => process.stderr.write(line + '\n'),
    interactive: Boolean(process.stderr.isTTY),
  };
}
