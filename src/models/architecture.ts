import type { GraphBuilder } from '../graph/builder.js';
import type { ValueId } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';

/** What detection finds in every architecture's weights; each adds its own sizes. */
export interface CommonInfo {
  readonly arch: string;
  readonly scale: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Number of parameters (elements of every float tensor; BN's num_batches_tracked excluded). */
  readonly params: number;
}

/** What the weights do not say and a user may: EDSR's residual scaling. */
export interface ModelOptions {
  resScale?: number;
}

/**
 * Everything wgsr knows about one network family, in one object: how to recognise its weights,
 * its forward pass, and how its values relate to image values. Inference, training and export
 * all build from `build`. Adding an architecture is one module exporting one of these and one
 * line in registry.ts.
 */
export interface Architecture<I extends CommonInfo = CommonInfo> {
  readonly name: I['arch'];
  /** What the architecture covers, for help texts and errors. */
  readonly summary: string;
  /**
   * The info when `sd` holds this architecture's keys, null when it clearly does not. A file
   * that is this architecture but inconsistent throws a WgsrError naming what is wrong.
   */
  detect(sd: StateDict): I | null;
  /** The network's forward pass, op for op on `g` (whose input has `info.inChannels` channels); returns the output. */
  build(g: GraphBuilder, sd: StateDict, info: I, options: ModelOptions): ValueId;
  /**
   * State-dict key prefixes of tensors that are constants of the network, never trained even when
   * the file has them (EDSR's MeanShift, a fixed normalisation).
   */
  readonly fixedParameters?: readonly string[];
  /** The options of ModelOptions this architecture reads. */
  readonly options?: readonly (keyof ModelOptions)[];
  /** Image values in [0, 1] are multiplied by this on the way in (EDSR works in 0..255). */
  inputRange(info: I): number;
  /** Maps one raw output value to [0, 1] before clamping, when it is not y / inputRange. */
  readonly outputToUnit?: (y: number) => number;
  /** How the raw output reads, when outputToUnit maps it (for exported files). */
  readonly outputNote?: string;
  /** For `wgsr info`: the name with its variant, and the sizes (every field beyond CommonInfo). */
  describe(info: I): { name: string; sizes: [string, string][] };
}

/** One size for describe(): numbers and strings as they are, lists in brackets. */
export function sizeText(value: number | string | boolean | readonly number[]): string {
  return Array.isArray(value) ? `[${value.map((x: number) => +x.toFixed(6)).join(', ')}]` : String(value);
}
