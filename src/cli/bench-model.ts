import { basename } from 'node:path';
import { syntheticRRDBNet } from '../models/synthetic.js';
import { readModelPath } from '../runtime/model-path.js';
import { writeSafetensors } from '../weights/safetensors.js';
import type { ModelBytes } from '../weights/types.js';

/**
 * The model `wgsr bench` and `wgsr tune` measure: -m's file (an ncnn .param finds its .bin, as
 * for upscale), or without -m RRDBNet at Real-ESRGAN x4plus size with random weights.
 */
export function benchModel(path: string | undefined): { bytes: ModelBytes; source: string } {
  if (path) return { bytes: readModelPath(path), source: basename(path) };
  return { bytes: writeSafetensors(syntheticRRDBNet()), source: 'x4plus-sized RRDBNet' };
}
