import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import { convWeights, requireTensor } from './params.js';
import type { SRVGGNetCompactInfo } from './srvgg.js';

/**
 * Real-ESRGAN's SRVGGNetCompact forward:
 *   body.0 conv, body.1 PReLU, numConv × (conv, PReLU), last conv to out·s² channels,
 *   pixel_shuffle(s), plus the nearest-upsampled input.
 */
export function buildSRVGGNetCompact(sd: StateDict, info: SRVGGNetCompactInfo): Graph {
  const g = new GraphBuilder(info.inChannels);
  const prelu = (i: number) => ({ kind: 'prelu' as const, slopes: requireTensor(sd, `body.${i}.weight`, 'SRVGGNetCompact').data });
  let x = g.activation(g.conv(g.input, convWeights(sd, 'body.0', 'SRVGGNetCompact')), prelu(1));
  for (let i = 0; i < info.numConv; i++) {
    x = g.activation(g.conv(x, convWeights(sd, `body.${2 * i + 2}`, 'SRVGGNetCompact')), prelu(2 * i + 3));
  }
  x = g.conv(x, convWeights(sd, `body.${2 * info.numConv + 2}`, 'SRVGGNetCompact'));
  const out = g.pixelShuffle(x, info.scale);
  return g.build(g.add(out, g.input, 1, 1, info.scale));
}
