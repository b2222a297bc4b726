import { WgsrError } from '../errors.js';
import { countParameters } from '../weights/state-dict.js';
import type { StateDict } from '../weights/types.js';
import { addConv, checkLayout, countConsecutive, requireShape, type Layout } from './layout.js';
import type { ModelInfo } from './types.js';

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

/**
 * The SRGAN generator of the seed layout: block_in = [conv 9×9 (in→nf), PReLU];
 * blocks.N = conv1, bn1, prelu, conv2, bn2, +x; block_out = [conv 3×3, BN]; the block_in output
 * is added back; upsample.J = conv (nf→4nf), pixel_shuffle(2), prelu; upsample.{last} =
 * conv 9×9 (nf→out); tanh. Without BatchNorm the bn keys and block_out.1 are absent.
 */
export interface SRGANInfo extends ModelInfo {
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
