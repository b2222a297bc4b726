import { WgsrError } from '../errors.js';
import { DEFAULT_TILE_PAD } from './tile-size.js';
import type { TileNetwork, UpscaleOptions } from './types.js';

/** UpscaleOptions with Real-ESRGAN's defaults filled in, checked. */
export interface ResolvedOptions {
  /** 0 = automatic. */
  tile: number;
  tilePad: number;
  prePad: number;
  /** null = the network's own scale (no resampling). */
  outscale: number | null;
  alpha: 'network' | 'resize';
  tta: boolean;
}

const wholeAtLeast = (value: number | undefined, fallback: number, min: number, name: string): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new WgsrError('BAD_ARGUMENT', `${name} must be a whole number ≥ ${min}, got ${String(value)}`);
  }
  return value;
};

export function resolveOptions(options: UpscaleOptions): ResolvedOptions {
  const { outscale, alpha = 'network' } = options;
  if (outscale !== undefined && !(Number.isFinite(outscale) && outscale > 0)) {
    throw new WgsrError('BAD_ARGUMENT', `outscale must be a positive number, got ${String(outscale)}`);
  }
  if (alpha !== 'network' && alpha !== 'resize') {
    throw new WgsrError('BAD_ARGUMENT', `alpha must be 'network' or 'resize', got ${String(alpha)}`);
  }
  return {
    tile: wholeAtLeast(options.tile, 0, 0, 'tile'),
    tilePad: wholeAtLeast(options.tilePad, DEFAULT_TILE_PAD, 0, 'tilePad'),
    prePad: wholeAtLeast(options.prePad, 0, 0, 'prePad'),
    outscale: outscale ?? null,
    alpha,
    tta: options.tta === true,
  };
}

/** The network properties the pipeline relies on, checked once so a broken wrapper fails clearly. */
export function checkNetwork(net: TileNetwork): void {
  const wholePositive = (v: number) => Number.isInteger(v) && v >= 1;
  if (!wholePositive(net.scale)) throw new Error(`TileNetwork.scale must be a whole number ≥ 1, got ${net.scale}`);
  if (!wholePositive(net.sizeMultiple)) {
    throw new Error(`TileNetwork.sizeMultiple must be a whole number ≥ 1, got ${net.sizeMultiple}`);
  }
  if (!(Number.isFinite(net.inputRange) && net.inputRange > 0)) {
    throw new Error(`TileNetwork.inputRange must be a positive number, got ${net.inputRange}`);
  }
}
