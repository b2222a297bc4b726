import { Initialiser } from './init.js';
import type { StateDict } from '../../weights/types.js';

export interface RRDBNetSizes {
  numFeat: number;
  numBlock: number;
  numGrowCh: number;
  scale: 1 | 2 | 4;
}

/**
 * BasicSR's RRDBNet(3, 3, scale, num_feat, num_block, num_grow_ch): PyTorch's default init,
 * except the residual dense blocks' convs, which BasicSR initialises with
 * default_init_weights(…, 0.1) (kaiming_normal_ × 0.1, bias 0) so that each block starts close
 * to the identity. Scales 2 and 1 fold the input with pixel_unshuffle (4× / 16× channels).
 */
export function newRRDBNet({ numFeat, numBlock, numGrowCh, scale }: RRDBNetSizes, seed: number): StateDict {
  const init = new Initialiser(seed);
  const inChannels = scale === 4 ? 3 : scale === 2 ? 12 : 48;
  init.conv('conv_first', numFeat, inChannels);
  for (let b = 0; b < numBlock; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) init.scaledKaimingConv(`body.${b}.rdb${r}.conv${c}`, c === 5 ? numFeat : numGrowCh, numFeat + (c - 1) * numGrowCh, 0.1);
    }
  }
  for (const n of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) init.conv(n, numFeat, numFeat);
  init.conv('conv_last', 3, numFeat);
  return init.sd;
}
