import { GraphBuilder } from '../graph/builder.js';
import type { Activation, ConvWeights, Graph, ValueId } from '../graph/ir.js';
import { foldBatchNorm } from '../kernels/batch-norm-fold.js';
import type { StateDict } from '../weights/types.js';
import { convWeights, requireTensor } from './params.js';
import type { SRGANInfo } from './srgan.js';

const LABEL = 'SRGAN';
/** torch.nn.BatchNorm2d's default. */
const BN_EPS = 1e-5;

/**
 * The SRGAN generator (seed layout), eval mode, batch norms folded into their convs at load:
 *   x0 = PReLU(conv9(x)); blocks: x + bn(conv(PReLU(bn(conv(x))))); x = bn(conv(x)) + x0
 *   per ×2 stage: PReLU(pixel_shuffle(conv(x), 2)); out = tanh(conv9(x)), in (−1, 1).
 */
export function buildSRGAN(sd: StateDict, info: SRGANInfo): Graph {
  const g = new GraphBuilder(info.inChannels);
  const prelu = (name: string): Activation => ({ kind: 'prelu', slopes: requireTensor(sd, `${name}.weight`, LABEL).data });
  const convBn = (x: ValueId, conv: string, bn: string) => g.conv(x, info.hasBatchNorm ? folded(sd, conv, bn) : convWeights(sd, conv, LABEL));

  const x0 = g.activation(g.conv(g.input, convWeights(sd, 'block_in.0', LABEL)), prelu('block_in.1'));
  let x = x0;
  for (let i = 0; i < info.numResidual; i++) {
    const y = g.activation(convBn(x, `blocks.${i}.conv1`, `blocks.${i}.bn1`), prelu(`blocks.${i}.prelu`));
    x = g.add(convBn(y, `blocks.${i}.conv2`, `blocks.${i}.bn2`), x);
  }
  x = g.add(convBn(x, 'block_out.0', 'block_out.1'), x0);
  const stages = Math.log2(info.scale);
  for (let j = 0; j < stages; j++) {
    x = g.activation(g.pixelShuffle(g.conv(x, convWeights(sd, `upsample.${j}.conv`, LABEL)), 2), prelu(`upsample.${j}.prelu`));
  }
  return g.build(g.activation(g.conv(x, convWeights(sd, `upsample.${stages}`, LABEL)), { kind: 'tanh' }));
}

function folded(sd: StateDict, conv: string, bn: string): ConvWeights {
  const c = convWeights(sd, conv, LABEL);
  const t = (p: string) => requireTensor(sd, `${bn}.${p}`, LABEL).data;
  const { weight, bias } = foldBatchNorm(
    c,
    { weight: t('weight'), bias: t('bias'), runningMean: t('running_mean'), runningVar: t('running_var'), eps: BN_EPS },
    `${conv} + ${bn}`,
  );
  return { ...c, weight, bias, name: `${conv}+${bn}` };
}
