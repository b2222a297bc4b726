import { isWgsrError, WgsrError } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import type { Architecture, CommonInfo, ModelOptions } from './architecture.js';
import { EDSR } from './edsr.js';
import { RRDBNET } from './rrdbnet.js';
import { SRGAN } from './srgan.js';
import { SRVGG } from './srvgg.js';

/** Every architecture wgsr runs, each recognised by its own keys; the order does not matter. */
export const ARCHITECTURES = [RRDBNET, SRVGG, EDSR, SRGAN] as const;

type InfoOf<A> = A extends Architecture<infer I> ? I : never;
/** What detection finds: one member per architecture, told apart by `arch`. */
export type ModelInfo = InfoOf<(typeof ARCHITECTURES)[number]>;
export type ArchitectureName = ModelInfo['arch'];

export const SUPPORTED_ARCHITECTURES = ARCHITECTURES.map((a) => a.summary).join(', ');

/** The architecture module that detected `info`. */
export function architectureOf<I extends ModelInfo>(info: I): Architecture<I> {
  return ARCHITECTURES.find((a) => a.name === info.arch) as unknown as Architecture<I>;
}

/**
 * The architecture and sizes of a state dict. A file that is clearly one architecture but
 * inconsistent gets that detector's error; anything else an UNSUPPORTED_MODEL error listing its
 * first keys, so the user can see what they have.
 */
export function detectArchitecture(sd: StateDict, source = 'model'): ModelInfo {
  for (const arch of ARCHITECTURES as readonly Architecture<CommonInfo>[]) {
    let info: CommonInfo | null;
    try {
      info = arch.detect(sd);
    } catch (e) {
      if (isWgsrError(e)) throw new WgsrError(e.code, `${source}: ${e.message}`, { cause: e });
      throw e;
    }
    if (info) return info as ModelInfo;
  }
  const keys = [...sd].slice(0, 6).map(([k, t]) => `${k} [${t.shape.join(', ')}]`);
  throw new WgsrError(
    'UNSUPPORTED_MODEL',
    `${source}: unrecognised architecture. Its ${sd.size} tensors start with ${keys.join(', ') || '(none)'}${sd.size > 6 ? ', …' : ''}. ` +
      `wgsr supports ${SUPPORTED_ARCHITECTURES}. If the keys carry an extra prefix (e.g. "generator."), save the bare network's state_dict.`,
  );
}

/** A network ready to run, and how its values relate to image values. */
export interface BuiltModel {
  graph: Graph;
  /** Image values in [0, 1] are multiplied by this on the way in (EDSR works in 0..255). */
  inputRange: number;
  /** Maps one raw output value to [0, 1] before clamping, when it is not y / inputRange. */
  outputToUnit?: (y: number) => number;
  /** How the raw output reads, when outputToUnit maps it. */
  outputNote?: string;
}

/** The network of `info`'s architecture with the weights of `sd`. */
export function buildModel(sd: StateDict, info: ModelInfo, options: ModelOptions = {}): BuiltModel {
  const arch = architectureOf(info) as unknown as Architecture<ModelInfo>;
  for (const key of Object.keys(options) as (keyof ModelOptions)[]) {
    if (options[key] !== undefined && !arch.options?.includes(key)) {
      throw new WgsrError('BAD_ARGUMENT', `${OPTION_NAMES[key]} applies to ${ownersOf(key)} only; this model is ${info.arch}`);
    }
  }
  const g = new GraphBuilder(info.inChannels);
  return {
    graph: g.build(arch.build(g, sd, info, options)),
    inputRange: arch.inputRange(info),
    outputToUnit: arch.outputToUnit,
    outputNote: arch.outputNote,
  };
}

/** How each model option is called in messages (the CLI flag's words). */
const OPTION_NAMES: Record<keyof ModelOptions, string> = { resScale: 'res_scale' };

function ownersOf(option: keyof ModelOptions): string {
  return ARCHITECTURES.filter((a) => (a.options as readonly string[] | undefined)?.includes(option))
    .map((a) => a.name)
    .join(', ');
}
