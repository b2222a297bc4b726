import { isWgsrError } from '../errors.js';
import { SUPPORTED_ARCHITECTURES } from '../models/registry.js';
import type { CommandIO } from './command.js';
import { COMMANDS } from './commands.js';
import { EXIT } from './exit-codes.js';

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
    '',
    'Exit status: 0 done; 1 failed; 2 usage error (nothing was done); 3 a batch partly failed;',
    '70 internal error (a bug); 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP.',
  ].join('\n');
}

/** Runs the CLI and returns the exit code. Never throws: every error becomes one line on stderr. */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(VERSION);
    return 0;
  }
  // Real-ESRGAN-style habit: `wgsr --list-models` is `wgsr models`.
  const command = COMMANDS.find((c) => c.name === (name === '--list-models' ? 'models' : name));
  if (!command) {
    io.stderr(`wgsr: unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isWgsrError(e)) {
      io.stderr(`wgsr ${command.name}: ${e.message}`);
      if (verbose && e.stack) io.stderr(e.stack);
      return e.code === 'BAD_ARGUMENT' ? EXIT.usage : EXIT.failure;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`wgsr ${command.name}: unexpected error: ${message}${verbose ? '' : ' (run with --verbose for details)'}`);
    if (verbose && e instanceof Error && e.stack) io.stderr(e.stack);
    return EXIT.unexpected;
  }
}

function defaultIO(): CommandIO {
  return {
    stdout: (line) => process.stdout.write(line + '\n'),
    stderr: (line) => process.stderr.write(line + '\n'),
    interactive: Boolean(process.stderr.isTTY),
  };
}
