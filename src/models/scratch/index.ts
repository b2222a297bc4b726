import { WgsrError } from '../../errors.js';
import type { StateDict } from '../../weights/types.js';
import type { ModelOptions } from '../architecture.js';
import { newEDSR } from './edsr.js';
import { newRRDBNet } from './rrdbnet.js';
import { newSRGAN } from './srgan.js';
import { newSRVGG } from './srvgg.js';

/**
 * Networks built from scratch: a state dict in the layout wgsr (and the original PyTorch code)
 * loads, with PyTorch's default initialisation (init.ts). Each architecture takes only its own
 * sizes; any other is refused by name, never ignored.
 */
export type ScratchArch = 'srvgg' | 'edsr' | 'rrdbnet' | 'srgan';
export const SCRATCH_ARCHS: readonly ScratchArch[] = ['srvgg', 'edsr', 'rrdbnet', 'srgan'];

export interface ScratchSizes {
  numFeat?: number;
  numConv?: number;
  numBlock?: number;
  numGrowCh?: number;
  numResidual?: number;
  resScale?: number;
}

/** Each architecture's sizes with BasicSR's / the papers' defaults, and the scales it builds. */
const SPECS: Record<ScratchArch, { defaults: Partial<Record<keyof ScratchSizes, number>>; scales: readonly number[] }> = {
  srvgg: { defaults: { numFeat: 64, numConv: 16 }, scales: [1, 2, 3, 4, 8] },
  edsr: { defaults: { numFeat: 64, numBlock: 16, resScale: 1 }, scales: [2, 3, 4] },
  rrdbnet: { defaults: { numFeat: 64, numBlock: 23, numGrowCh: 32 }, scales: [1, 2, 4] },
  srgan: { defaults: { numFeat: 64, numResidual: 16 }, scales: [2, 4, 8] },
};

/** The flag each size is given with (for messages). */
export const SIZE_FLAGS: Record<keyof ScratchSizes, string> = {
  numFeat: '--num-feat',
  numConv: '--num-conv',
  numBlock: '--num-block',
  numGrowCh: '--num-grow-ch',
  numResidual: '--num-residual',
  resScale: '--res-scale',
};

export interface ScratchModel {
  stateDict: StateDict;
  /** Every size, defaults filled in (for the run's record). */
  sizes: ScratchSizes;
  modelOptions: ModelOptions;
}

export function newNetwork(arch: string, scale: number, given: ScratchSizes, seed: number): ScratchModel {
  if (!(SCRATCH_ARCHS as readonly string[]).includes(arch)) throw new WgsrError('BAD_ARGUMENT', `--arch ${arch}: unknown; choose one of ${SCRATCH_ARCHS.join(', ')}`);
  const spec = SPECS[arch as ScratchArch];
  for (const [key, value] of Object.entries(given) as [keyof ScratchSizes, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in spec.defaults)) {
      const owners = SCRATCH_ARCHS.filter((a) => key in SPECS[a].defaults).join(', ');
      throw new WgsrError('BAD_ARGUMENT', `${SIZE_FLAGS[key]} does not apply to --arch ${arch} (it is for ${owners}); ${arch} takes ${Object.keys(spec.defaults).map((k) => SIZE_FLAGS[k as keyof ScratchSizes]).join(', ')}`);
    }
    const ok = key === 'resScale' ? value > 0 && Number.isFinite(value) : Number.isInteger(value) && value >= (key === 'numFeat' || key === 'numGrowCh' ? 1 : 0) && value <= 4096;
    if (!ok) throw new WgsrError('BAD_ARGUMENT', `${SIZE_FLAGS[key]} ${value}: ${key === 'resScale' ? 'a number > 0' : 'a whole number (features ≥ 1, counts ≥ 0)'}`);
  }
  if (!spec.scales.includes(scale)) throw new WgsrError('BAD_ARGUMENT', `--arch ${arch} builds scales ${spec.scales.map((s) => `×${s}`).join(', ')}; --scale ${scale} is not one of them`);
  const s = { ...spec.defaults, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<ScratchSizes>;
  const sizes = Object.fromEntries(Object.keys(spec.defaults).map((k) => [k, s[k as keyof ScratchSizes]])) as ScratchSizes;
  switch (arch as ScratchArch) {
    case 'srvgg':
      return { stateDict: newSRVGG({ numFeat: s.numFeat, numConv: s.numConv, scale }, seed), sizes, modelOptions: {} };
    case 'edsr':
      return { stateDict: newEDSR({ numFeat: s.numFeat, numBlock: s.numBlock, scale: scale as 2 | 3 | 4 }, seed), sizes, modelOptions: { resScale: s.resScale } };
    case 'rrdbnet':
      return { stateDict: newRRDBNet({ numFeat: s.numFeat, numBlock: s.numBlock, numGrowCh: s.numGrowCh, scale: scale as 1 | 2 | 4 }, seed), sizes, modelOptions: {} };
    case 'srgan':
      return { stateDict: newSRGAN({ numFeat: s.numFeat, numResidual: s.numResidual, scale }, seed), sizes, modelOptions: {} };
  }
}
