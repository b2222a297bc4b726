import { existsSync } from 'node:fs';
import { WgsrError } from '../errors.js';
import { readModelFile } from '../io/model-file.js';
import type { ModelBytes } from '../weights/types.js';

/**
 * A model file's bytes, by its path: one `.pth` / `.pt` / `.safetensors` file, or ncnn's pair,
 * found by the rule x.param ↔ x.bin (either half may be named). The format is still sniffed
 * from the bytes, never from the name.
 */
export function readModelPath(path: string): ModelBytes {
  const ncnn = /^(.*)\.(param|bin)$/i.exec(path);
  if (ncnn) {
    const [, stem, ext] = ncnn as unknown as [string, string, string];
    // The pair shares the extension's case: x.param ↔ x.bin, X.PARAM ↔ X.BIN.
    const upper = ext === ext.toUpperCase();
    const param = `${stem}.${upper ? 'PARAM' : 'param'}`;
    const bin = `${stem}.${upper ? 'BIN' : 'bin'}`;
    if (ext.toLowerCase() === 'param') {
      if (!existsSync(bin)) {
        throw new WgsrError('IO', `${path} is an ncnn graph; its weights should be beside it as ${bin}, which does not exist`);
      }
      return { param: readModelFile(param), bin: readModelFile(bin) };
    }
    // A .bin beside a .param is ncnn's weights; a lone .bin is read as it is (and sniffed).
    if (existsSync(param)) return { param: readModelFile(param), bin: readModelFile(bin) };
  }
  return readModelFile(path);
}
