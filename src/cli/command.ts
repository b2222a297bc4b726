import { WgsrError } from '../errors.js';
import { closest } from './suggest.js';

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

/**
 * One option of a command. Every long name is also accepted with underscores for dashes
 * (`--tile_pad`, as Real-ESRGAN's scripts spell them); `aliases` are further spellings people
 * bring from other tools, and `presets` are flags that stand for this option with a value
 * (`--fp32` is `--precision f32`).
 */
export interface OptionSpec {
  /** The long name, without dashes: the key of the parsed value. */
  name: string;
  /** A string option takes a value; a flag is true when present. */
  kind: 'string' | 'flag';
  /** One letter: `-o`. */
  short?: string;
  /** Other spellings, with their dashes: `-i`, `--model_path`, `-dn`. */
  aliases?: string[];
  /** Spellings that set this option to a value: `{ '--fp32': 'f32' }`. */
  presets?: Record<string, string>;
  /** Values translated when given through an alias: `{ '--alpha-upsampler': { realesrgan: 'network' } }`. */
  aliasValues?: Record<string, Record<string, string>>;
}

/**
 * Options people type out of habit from other upscalers (realesrgan-ncnn-vulkan, Real-ESRGAN's
 * inference script) that wgsr has no counterpart for: the refusal says what they are and what
 * wgsr does instead, rather than only "unknown".
 */
const FOREIGN: Record<string, string> = {
  '-j': "realesrgan-ncnn-vulkan's thread counts; wgsr has no equivalent",
  '-g': "realesrgan-ncnn-vulkan's GPU id; wgsr runs on the WebGPU adapter the system offers (wgsr adapter shows which). To use another GPU, choose it for the whole system, e.g. DRI_PRIME=1 or MESA_VK_DEVICE_SELECT on Linux",
  '--gpu-id': "Real-ESRGAN's GPU id; wgsr runs on the WebGPU adapter the system offers (wgsr adapter shows which). To use another GPU, choose it for the whole system, e.g. DRI_PRIME=1 or MESA_VK_DEVICE_SELECT on Linux",
  '--face-enhance': "Real-ESRGAN's GFPGAN face enhancement; wgsr has no equivalent",
};

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Long spellings compare with dashes: `--tile_pad` is `--tile-pad`. */
const normal = (flag: string) => (flag.startsWith('--') ? '--' + flag.slice(2).replace(/_/g, '-') : flag);

/**
 * Parses `argv` against `options`: `--name value`, `--name=value`, `-x value`, flags, `--`
 * ending the options, and the spellings each spec allows. Everything else is refused in one
 * line that says what the option is (FOREIGN) or which known one is closest.
 */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec[]): ParsedArgs {
  const bySpelling = new Map<string, { spec: OptionSpec; preset?: string }>();
  for (const spec of options) {
    bySpelling.set(`--${spec.name}`, { spec });
    if (spec.short) bySpelling.set(`-${spec.short}`, { spec });
    for (const alias of spec.aliases ?? []) bySpelling.set(normal(alias), { spec });
    for (const [flag, value] of Object.entries(spec.presets ?? {})) bySpelling.set(normal(flag), { spec, preset: value });
  }
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  const help = `(see wgsr ${command} --help)`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = normal(eq > 0 ? arg.slice(0, eq) : arg);
    const found = bySpelling.get(flag);
    if (!found) throw new WgsrError('BAD_ARGUMENT', `${unknown(flag, arg, bySpelling.keys())} ${help}`);
    const { spec, preset } = found;
    if (preset !== undefined || spec.kind === 'flag') {
      if (eq > 0) throw new WgsrError('BAD_ARGUMENT', `option ${flag} takes no value, got "${arg.slice(eq + 1)}" ${help}`);
      values[spec.name] = preset ?? true;
      continue;
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i]!;
    else throw new WgsrError('BAD_ARGUMENT', `option ${flag} needs a value ${help}`);
    values[spec.name] = spec.aliasValues?.[flag]?.[value] ?? value;
  }
  return { values, positionals };
}

function unknown(flag: string, arg: string, known: Iterable<string>): string {
  const foreign = FOREIGN[flag] ?? FOREIGN[normal(flag)];
  if (foreign) return `unknown option '${flag}' (${foreign})`;
  const longs = [...known].filter((k) => k.startsWith('--'));
  const suggestion = flag.startsWith('--') ? closest(flag, longs) : undefined;
  const shown = arg.startsWith('--') ? flag : arg;
  return suggestion ? `unknown option '${shown}'; did you mean ${suggestion}?` : `unknown option '${shown}'`;
}

/** Reads a string option (undefined when absent). */
export function stringArg(values: ParsedArgs['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parses a numeric option; `what` names it in the error. */
export function numberArg(value: string | boolean | undefined, what: string, check: (n: number) => boolean, expect: string): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  // Number('') and Number('  ') are 0, which for --tile means "automatic": an empty value is
  // a mistake (an unset shell variable), never a number.
  if (value.trim() === '') throw new WgsrError('BAD_ARGUMENT', `${what} needs a value: ${expect}, got an empty string`);
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new WgsrError('BAD_ARGUMENT', `${what} must be ${expect}, got "${value}"`);
  return n;
}
