import { Initialiser } from './init.js';
import type { StateDict } from '../../weights/types.js';

export interface SRGANSizes {
  numFeat: number;
  numResidual: number;
  /** 2, 4 or 8: one ×2 upsampling stage each. */
  scale: number;
}

/**
 * The SRGAN generator in wgsr's layout (models/srgan.ts): 9×9 conv in and out, residual blocks
 * with BatchNorm, one PReLU slope per activation (nn.PReLU()), PyTorch's default init.
 */
export function newSRGAN({ numFeat, numResidual, scale }: SRGANSizes, seed: number): StateDict {
  const init = new Initialiser(seed);
  init.conv('block_in.0', numFeat, 3, 9);
  init.prelu('block_in.1', 1);
  for (let i = 0; i < numResidual; i++) {
    init.conv(`blocks.${i}.conv1`, numFeat, numFeat);
    init.batchNorm(`blocks.${i}.bn1`, numFeat);
    init.prelu(`blocks.${i}.prelu`, 1);
    init.conv(`blocks.${i}.conv2`, numFeat, numFeat);
    init.batchNorm(`blocks.${i}.bn2`, numFeat);
  }
  init.conv('block_out.0', numFeat, numFeat);
  init.batchNorm('block_out.1', numFeat);
  const stages = Math.round(Math.log2(scale));
  for (let j = 0; j < stages; j++) {
    init.conv(`upsample.${j}.conv`, 4 * numFeat, numFeat);
    init.prelu(`upsample.${j}.prelu`, 1);
  }
  init.conv(`upsample.${stages}`, 3, numFeat, 9);
  return init.sd;
}
