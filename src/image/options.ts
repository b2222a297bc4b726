import { WgsrError } from '../errors.js';
import { DEFAULT_TILE_BLEND, DEFAULT_TILE_PAD } from './tile-size.js';
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
  /** Width of the band neighbouring tiles are cross-faded over, in input pixels; 0 = crop. */
  tileBlend: number;
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
  const tilePad = wholeAtLeast(options.tilePad, DEFAULT_TILE_PAD, 0, 'tilePad');
  return {
    tile: wholeAtLeast(options.tile, 0, 0, 'tile'),
    tilePad,
    tileBlend: blendWidth(options.tileBlend, tilePad),
    prePad: wholeAtLeast(options.prePad, 0, 0, 'prePad'),
    outscale: outscale ?? null,
    alpha,
    tta: options.tta === true,
  };
}

/**
 * The blend band: true = DEFAULT_TILE_BLEND of the pad (the measured best), false/0 = crop, a
 * number = that many input pixels. It must lie inside the pad both neighbours ran with.
 */
function blendWidth(value: boolean | number | undefined, tilePad: number): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return Math.round(DEFAULT_TILE_BLEND * 2 * tilePad);
  if (!(Number.isFinite(value) && value >= 0 && value <= 2 * tilePad)) {
    throw new WgsrError(
      'BAD_ARGUMENT',
      `tileBlend must be between 0 and 2·tilePad = ${2 * tilePad} input pixels (the overlap neighbouring tiles share), got ${String(value)}`,
    );
  }
  return value;
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
