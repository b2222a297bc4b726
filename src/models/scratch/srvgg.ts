import { Initialiser } from './init.js';
import type { StateDict } from '../../weights/types.js';

export interface SRVGGSizes {
  numFeat: number;
  numConv: number;
  scale: number;
}

/** Real-ESRGAN's SRVGGNetCompact(3, 3, num_feat, num_conv, upscale, act_type='prelu'), PyTorch's default init. */
export function newSRVGG({ numFeat, numConv, scale }: SRVGGSizes, seed: number): StateDict {
  const init = new Initialiser(seed);
  init.conv('body.0', numFeat, 3);
  init.prelu('body.1', numFeat);
  for (let c = 1; c <= numConv; c++) {
    init.conv(`body.${2 * c}`, numFeat, numFeat);
    init.prelu(`body.${2 * c + 1}`, numFeat);
  }
  init.conv(`body.${2 * numConv + 2}`, 3 * scale * scale, numFeat);
  return init.sd;
}
