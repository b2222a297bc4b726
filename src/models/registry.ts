import { isWgsrError, WgsrError } from '../errors.js';
import type { StateDict } from '../weights/types.js';
import { detectEDSR } from './edsr.js';
import { detectRRDBNet } from './rrdbnet.js';
import { detectSRGAN } from './srgan.js';
import { detectSRVGGNetCompact } from './srvgg.js';
import type { ModelInfo } from './types.js';

export type { ModelInfo, Architecture } from './types.js';
export type { RRDBNetInfo } from './rrdbnet.js';
export type { SRVGGNetCompactInfo } from './srvgg.js';
export type { EDSRInfo } from './edsr.js';
export type { SRGANInfo } from './srgan.js';

/** Every architecture wgsr runs, each recognised by its own keys; the order does not matter. */
const DETECTORS: readonly ((sd: StateDict) => ModelInfo | null)[] = [detectRRDBNet, detectSRVGGNetCompact, detectEDSR, detectSRGAN];

export const SUPPORTED_ARCHITECTURES =
  'RRDBNet (ESRGAN / Real-ESRGAN, BasicSR and 2018 key layouts), SRVGGNetCompact (realesr-general / realesr-animevideo), ' +
  'EDSR (EDSR-PyTorch layout), SRGAN generator';

/**
 * The architecture and sizes of a state dict. A file that is clearly one architecture but
 * inconsistent gets that detector's error; anything else an UNSUPPORTED_MODEL error listing its
 * first keys, so the user can see what they have.
 */
export function detectArchitecture(sd: StateDict, source = 'model'): ModelInfo {
  for (const detect of DETECTORS) {
    let info: ModelInfo | null;
    try {
      info = detect(sd);
    } catch (e) {
      if (isWgsrError(e)) throw new WgsrError(e.code, `${source}: ${e.message}`, { cause: e });
      throw e;
    }
    if (info) return info;
  }
  const keys = [...sd].slice(0, 6).map(([k, t]) => `${k} [${t.shape.join(', ')}]`);
  throw new WgsrError(
    'UNSUPPORTED_MODEL',
    `${source}: unrecognised architecture. Its ${sd.size} tensors start with ${keys.join(', ') || '(none)'}${sd.size > 6 ? ', …' : ''}. ` +
      `wgsr supports ${SUPPORTED_ARCHITECTURES}. If the keys carry an extra prefix (e.g. "generator."), save the bare network's state_dict.`,
  );
}
