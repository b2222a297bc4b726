import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WgsrError } from '../errors.js';

/** One `wgsr <name>` subcommand. Each lives in its own file and is listed in commands.ts. */
export interface Command {
  name: string;
  /** One line for `wgsr --help`. */
  summary: string;
  /** Full usage text for `wgsr <name> --help`. */
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** True when stderr is a terminal: progress bars instead of plain lines. */
  interactive: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with our error style: unknown flags become one clear line. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedArgs {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // main() prefixes "wgsr <command>: " to every error line; this message must not repeat it.
    throw new WgsrError('BAD_ARGUMENT', `${e instanceof Error ? e.message : String(e)} (see wgsr ${command} --help)`);
  }
}

/** Parses a numeric flag; `what` names it in the error. */
export function numberArg(value: string | undefined, what: string, check: (n: number) => boolean, expect: string): number | undefined {
  if (value === undefined) return undefined;
  // Number('') and Number('  ') are 0, which for --tile means "automatic": an empty value is
  // a mistake (an unset shell variable), never a number.
  if (value.trim() === '') throw new WgsrError('BAD_ARGUMENT', `${what} needs a value: ${expect}, got an empty string`);
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new WgsrError('BAD_ARGUMENT', `${what} must be ${expect}, got "${value}"`);
  return n;
}
