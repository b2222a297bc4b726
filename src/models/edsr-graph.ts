import { GraphBuilder } from '../graph/builder.js';
import type { ConvWeights, Graph, ValueId } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import type { EDSRInfo } from './edsr.js';
import { convWeights } from './params.js';

/**
 * EDSR-PyTorch's forward (inputs in 0..255):
 *   x = head(sub_mean(x)); res = body(x) + x; x = add_mean(tail(res))
 *   ResBlock: res_scale·conv(relu(conv(x))) + x; the body ends with a conv.
 *   Upsampler: ×2/×3 one conv to s²·n_feats + pixel_shuffle(s); ×4 two ×2 stages.
 * MeanShift is a fixed 1×1 conv; files without it get DIV2K's mean (as EDSR-PyTorch builds it).
 */
export function buildEDSR(sd: StateDict, info: EDSRInfo, resScale = info.resScale): Graph {
  const g = new GraphBuilder(info.inChannels);
  const conv = (x: ValueId, name: string) => g.conv(x, convWeights(sd, name, 'EDSR'));
  const meanShift = (x: ValueId, name: 'sub_mean' | 'add_mean') =>
    g.conv(x, sd.has(`${name}.weight`) ? convWeights(sd, name, 'EDSR') : defaultMeanShift(info, name));

  const head = conv(meanShift(g.input, 'sub_mean'), 'head.0');
  let res = head;
  for (let i = 0; i < info.numResBlocks; i++) {
    const y = conv(g.activation(conv(res, `body.${i}.body.0`), { kind: 'relu' }), `body.${i}.body.2`);
    res = g.add(y, res, resScale, 1);
  }
  res = g.add(conv(res, `body.${info.numResBlocks}`), head);
  let x = res;
  const stages = info.scale === 3 ? [3] : Array.from({ length: Math.log2(info.scale) }, () => 2);
  stages.forEach((r, s) => (x = g.pixelShuffle(conv(x, `tail.0.${2 * s}`), r)));
  return g.build(meanShift(conv(x, 'tail.1'), 'add_mean'));
}

/** MeanShift(rgb_range 255, mean, std, sign): weight = I/std, bias = sign·255·mean/std. */
function defaultMeanShift(info: EDSRInfo, name: 'sub_mean' | 'add_mean'): ConvWeights {
  const sign = name === 'sub_mean' ? -1 : 1;
  const weight = new Float32Array(9);
  const bias = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    weight[c * 4] = 1 / info.rgbStd[c]!;
    bias[c] = (sign * info.rgbRange * info.rgbMean[c]!) / info.rgbStd[c]!;
  }
  return { weight, shape: [3, 3, 1, 1], bias, name };
}
