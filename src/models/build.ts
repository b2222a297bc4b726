import { WgsrError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import { buildRRDBNet } from './rrdbnet-graph.js';
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

export function buildModel(sd: StateDict, info: ModelInfo, _options: ModelOptions = {}): BuiltModel {
  switch (info.arch) {
    case 'RRDBNet':
      return { graph: buildRRDBNet(sd, info), inputRange: 1 };
    default:
      throw new WgsrError('UNSUPPORTED_MODEL', `${info.arch} is detected but cannot be run yet`);
  }
}
