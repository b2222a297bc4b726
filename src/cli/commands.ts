import type { Command } from './command.js';
import { adapterCommand } from './adapter.js';
import { benchCommand } from './bench.js';
import { tuneCommand } from './tune.js';
import { convertCommand } from './convert.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { trainCommand } from './train.js';
import { infoCommand } from './info.js';
import { modelsCommand } from './models.js';
import { upscaleCommand } from './upscale.js';
import { videoCommand } from './video.js';

/** Every subcommand, in the order `wgsr --help` lists them. */
export const COMMANDS: readonly Command[] = [upscaleCommand, videoCommand, infoCommand, modelsCommand, convertCommand, evalCommand, trainCommand, exportCommand, benchCommand, tuneCommand, adapterCommand];
