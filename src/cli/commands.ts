import type { Command } from './command.js';
import { adapterCommand } from './adapter.js';

/** Every subcommand, in the order `wgsr --help` lists them. */
export const COMMANDS: readonly Command[] = [adapterCommand];
