import { WgsrError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import type { EDSRInfo } from './edsr.js';
import { buildEDSR } from './edsr-graph.js';
import type { RRDBNetInfo } from './rrdbnet.js';
import { buildRRDBNet } from './rrdbnet-graph.js';
import type { SRGANInfo } from './srgan.js';
import { buildSRGAN } from './srgan-graph.js';
import type { SRVGGNetCompactInfo } from './srvgg.js';
import { buildSRVGGNetCompact } from './srvgg-graph.js';
import type { ModelInfo } from './types.js';

/** What the weights do not say and a user may: EDSR's residual scaling. */
export interface ModelOptions {
  resScale?: number;
}

/** A network ready to run, and how its values relate to image values. */
export interface BuiltModel {
  graph: Graph;
  /** Image values in [0, 1] are multiplied by this on the way in (EDSR works in 0..255). */
  inputRange: number;
  /** Maps one raw output value to [0, 1] before clamping, when it is not y / inputRange. */
  outputToUnit?: (y: number) => number;
}

export function buildModel(sd: StateDict, info: ModelInfo, options: ModelOptions = {}): BuiltModel {
  if (options.resScale !== undefined && info.arch !== 'EDSR') {
    throw new WgsrError('BAD_ARGUMENT', `res_scale applies to EDSR only; this model is ${info.arch}`);
  }
  switch (info.arch) {
    case 'RRDBNet':
      return { graph: buildRRDBNet(sd, info as RRDBNetInfo), inputRange: 1 };
    case 'SRVGGNetCompact':
      return { graph: buildSRVGGNetCompact(sd, info as SRVGGNetCompactInfo), inputRange: 1 };
    case 'EDSR':
      return { graph: buildEDSR(sd, info as EDSRInfo, options.resScale), inputRange: (info as EDSRInfo).rgbRange };
    case 'SRGAN':
      // tanh output in (−1, 1); the image is (y + 1) / 2. forward() stays raw.
      return { graph: buildSRGAN(sd, info as SRGANInfo), inputRange: 1, outputToUnit: (y) => (y + 1) / 2 };
  }
}
