import { WgsrError } from '../errors.js';
import { countParameters } from '../weights/state-dict.js';
import type { StateDict } from '../weights/types.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { ValueId } from '../graph/ir.js';
import { sizeText, type Architecture, type CommonInfo } from './architecture.js';
import { addConv, checkLayout, countConsecutive, requireShape, type Layout } from './layout.js';
import { batchNormParams, convWeights, prelu } from './params.js';

/**
 * The SRGAN generator of the seed layout: block_in = [conv 9×9 (in→nf), PReLU];
 * blocks.N = conv1, bn1, prelu, conv2, bn2, +x; block_out = [conv 3×3, BN]; the block_in output
 * is added back; upsample.J = conv (nf→4nf), pixel_shuffle(2), prelu; upsample.{last} =
 * conv 9×9 (nf→out); tanh. Without BatchNorm the bn keys and block_out.1 are absent.
 */
export interface SRGANInfo extends CommonInfo {
  arch: 'SRGAN';
  numFeat: number;
  numResidual: number;
  hasBatchNorm: boolean;
  /** PReLU with one slope per channel rather than a single shared slope. */
  preluPerChannel: boolean;
}

const LABEL = 'SRGAN generator';
const OUTER_KERNEL = 9;

export function detectSRGAN(sd: StateDict): SRGANInfo | null {
  if (!sd.has('block_in.0.weight') || !sd.has('block_out.0.weight')) return null;
  const [numFeat, inChannels] = requireShape(sd, 'block_in.0.weight', 4, LABEL) as [number, number];
  const preluSize = requireShape(sd, 'block_in.1.weight', 1, LABEL)[0]!;
  if (preluSize !== 1 && preluSize !== numFeat) {
    throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but its PReLU has ${preluSize} slopes; expected 1 or ${numFeat}.`);
  }
  const numResidual = countConsecutive(sd, (i) => `blocks.${i}.conv1.weight`);
  const stages = countConsecutive(sd, (j) => `upsample.${j}.conv.weight`);
  const outChannels = requireShape(sd, `upsample.${stages}.weight`, 4, LABEL)[0]!;
  const hasBatchNorm = sd.has('block_out.1.weight');

  const expected: Layout = new Map();
  const optional = new Set<string>();
  const addBatchNorm = (name: string) => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) expected.set(`${name}.${p}`, [numFeat]);
    // An int64 scalar counter, in every state dict since torch 0.4.1; unused in eval mode.
    expected.set(`${name}.num_batches_tracked`, []);
    optional.add(`${name}.num_batches_tracked`);
  };
  addConv(expected, 'block_in.0', numFeat, inChannels, OUTER_KERNEL);
  expected.set('block_in.1.weight', [preluSize]);
  for (let i = 0; i < numResidual; i++) {
    addConv(expected, `blocks.${i}.conv1`, numFeat, numFeat);
    addConv(expected, `blocks.${i}.conv2`, numFeat, numFeat);
    expected.set(`blocks.${i}.prelu.weight`, [preluSize]);
    if (hasBatchNorm) {
      addBatchNorm(`blocks.${i}.bn1`);
      addBatchNorm(`blocks.${i}.bn2`);
    }
  }
  addConv(expected, 'block_out.0', numFeat, numFeat);
  if (hasBatchNorm) addBatchNorm('block_out.1');
  for (let j = 0; j < stages; j++) {
    addConv(expected, `upsample.${j}.conv`, 4 * numFeat, numFeat);
    expected.set(`upsample.${j}.prelu.weight`, [preluSize]);
  }
  addConv(expected, `upsample.${stages}`, outChannels, numFeat, OUTER_KERNEL);
  checkLayout(sd, LABEL, expected, optional);

  return {
    arch: 'SRGAN',
    scale: 2 ** stages,
    inChannels,
    outChannels,
    params: countParameters(sd),
    numFeat,
    numResidual,
    hasBatchNorm,
    preluPerChannel: preluSize === numFeat,
  };
}

/**
 * The SRGAN generator (seed layout):
 *   x0 = PReLU(conv9(x)); blocks: x + bn(conv(PReLU(bn(conv(x))))); x = bn(conv(x)) + x0
 *   per ×2 stage: PReLU(pixel_shuffle(conv(x), 2)); out = tanh(conv9(x)), in (−1, 1).
 * For inference the batch norms (eval mode) are folded into their convs (graph/fold-batch-norm.ts).
 */
function build(g: GraphBuilder, sd: StateDict, info: SRGANInfo): ValueId {
  const conv = (x: ValueId, name: string) => g.conv(x, convWeights(sd, name, LABEL));
  const act = (x: ValueId, name: string) => g.activation(x, prelu(sd, `${name}.weight`, LABEL));
  const convBn = (x: ValueId, name: string, bn: string) => (info.hasBatchNorm ? g.batchNorm(conv(x, name), batchNormParams(sd, bn, LABEL)) : conv(x, name));

  const x0 = act(conv(g.input, 'block_in.0'), 'block_in.1');
  let x = x0;
  for (let i = 0; i < info.numResidual; i++) {
    const y = act(convBn(x, `blocks.${i}.conv1`, `blocks.${i}.bn1`), `blocks.${i}.prelu`);
    x = g.add(convBn(y, `blocks.${i}.conv2`, `blocks.${i}.bn2`), x);
  }
  x = g.add(convBn(x, 'block_out.0', 'block_out.1'), x0);
  const stages = Math.log2(info.scale);
  for (let j = 0; j < stages; j++) x = act(g.pixelShuffle(conv(x, `upsample.${j}.conv`), 2), `upsample.${j}.prelu`);
  return g.activation(conv(x, `upsample.${stages}`), { kind: 'tanh' });
}

export const SRGAN: Architecture<SRGANInfo> = {
  name: 'SRGAN',
  summary: 'SRGAN generator',
  detect: detectSRGAN,
  build,
  inputRange: () => 1,
  // tanh output in (−1, 1); the image is (y + 1) / 2. forward() stays raw.
  outputToUnit: (y) => (y + 1) / 2,
  outputNote: 'tanh, the image is (y + 1) / 2',
  describe: (info) => ({
    name: 'SRGAN',
    sizes: [
      ['numFeat', sizeText(info.numFeat)],
      ['numResidual', sizeText(info.numResidual)],
      ['hasBatchNorm', sizeText(info.hasBatchNorm)],
      ['preluPerChannel', sizeText(info.preluPerChannel)],
    ],
  }),
};
