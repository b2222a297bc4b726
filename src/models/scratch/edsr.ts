import { Initialiser } from './init.js';
import type { StateDict } from '../../weights/types.js';

export interface EDSRSizes {
  numFeat: number;
  numBlock: number;
  scale: 2 | 3 | 4;
}

/** DIV2K's RGB mean, EDSR-PyTorch's MeanShift (rgb_range 255, std 1). */
const DIV2K_MEAN = [0.4488, 0.4371, 0.404];

/**
 * EDSR-PyTorch's EDSR (n_feats, n_resblocks, 3×3 convs), PyTorch's default init, with its
 * MeanShift convs (fixed: weight I, bias ∓255·mean) so the file loads into EDSR-PyTorch as is.
 * res_scale is not in the weights: it is a model option (--res-scale).
 */
export function newEDSR({ numFeat, numBlock, scale }: EDSRSizes, seed: number): StateDict {
  const init = new Initialiser(seed);
  const meanShift = (name: string, sign: number) => {
    const w = new Float32Array(9);
    for (let c = 0; c < 3; c++) w[c * 4] = 1;
    init.fixed(`${name}.weight`, [3, 3, 1, 1], w);
    init.fixed(`${name}.bias`, [3], Float32Array.from(DIV2K_MEAN, (m) => sign * 255 * m));
  };
  meanShift('sub_mean', -1);
  meanShift('add_mean', 1);
  init.conv('head.0', numFeat, 3);
  for (let i = 0; i < numBlock; i++) {
    init.conv(`body.${i}.body.0`, numFeat, numFeat);
    init.conv(`body.${i}.body.2`, numFeat, numFeat);
  }
  init.conv(`body.${numBlock}`, numFeat, numFeat);
  const stages = scale === 3 ? [3] : scale === 4 ? [2, 2] : [2];
  stages.forEach((r, s) => init.conv(`tail.0.${2 * s}`, r * r * numFeat, numFeat));
  init.conv('tail.1', 3, numFeat);
  return init.sd;
}
