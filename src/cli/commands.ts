import type { Command } from './command.js';
import { adapterCommand } from './adapter.js';
import { convertCommand } from './convert.js';
import { infoCommand } from './info.js';

/** Every subcommand, in the order `wgsr --help` lists them. */
export const COMMANDS: readonly Command[] = [adapterCommand, infoCommand, convertCommand];
