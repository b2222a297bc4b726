import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Planar } from '../../src/train/data/planar.js';

/**
 * test/fixtures/degrade/reference.json: what BasicSR (degradations.py, filter2D) and PyTorch
 * (F.interpolate) compute for fixed inputs; made by make_reference.py next to it.
 */
export interface ReferenceKernel {
  kind: string;
  size: number;
  sigmaX: number;
  sigmaY: number;
  theta: number;
  beta: number;
  cutoff: number;
  data: number[];
}

export interface Reference {
  image: { shape: [number, number, number]; data: number[] };
  kernels: ReferenceKernel[];
  filters: { kernel: number; output: number[] }[];
  resizes: { mode: 'area' | 'bilinear' | 'bicubic'; scale?: number; height: number; width: number; output: number[] }[];
}

export const FIXTURES = resolve(__dirname, '../fixtures/degrade');

let cached: Reference | undefined;
export function reference(): Reference {
  cached ??= JSON.parse(readFileSync(resolve(FIXTURES, 'reference.json'), 'utf8')) as Reference;
  return cached;
}

export function referenceImage(): Planar {
  const { shape, data } = reference().image;
  return { channels: shape[0], height: shape[1], width: shape[2], data: Float32Array.from(data) };
}
