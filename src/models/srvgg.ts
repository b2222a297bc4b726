import { WgsrError } from '../errors.js';
import { countParameters } from '../weights/state-dict.js';
import type { StateDict } from '../weights/types.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { ValueId } from '../graph/ir.js';
import { sizeText, type Architecture, type CommonInfo } from './architecture.js';
import { addConv, checkLayout, exactSqrt, requireShape, type Layout } from './layout.js';
import { convWeights, prelu } from './params.js';

/**
 * SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3): one nn.ModuleList `body` of
 * conv(in→nf), PReLU, numConv × [conv(nf→nf), PReLU], conv(nf→out·s²); then pixel_shuffle(s)
 * plus the nearest-upsampled input. Only the convs and PReLUs have weights, so the keys are
 * `body.K.weight` / `body.K.bias` and nothing else.
 */
export interface SRVGGNetCompactInfo extends CommonInfo {
  arch: 'SRVGGNetCompact';
  numFeat: number;
  numConv: number;
  /** PReLU with one slope per channel (nn.PReLU(numFeat)) rather than a single shared slope. */
  preluPerChannel: boolean;
}

const LABEL = 'SRVGGNetCompact';
const BODY_KEY = /^body\.(\d+)\.(weight|bias)$/;

export function detectSRVGGNetCompact(sd: StateDict): SRVGGNetCompactInfo | null {
  if (!sd.has('body.0.weight') || ![...sd.keys()].every((k) => BODY_KEY.test(k))) return null;
  const last = Math.max(...[...sd.keys()].map((k) => Number(BODY_KEY.exec(k)![1])));
  if (!sd.has('body.1.weight')) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${LABEL} without PReLU weights (act_type relu or leakyrelu) is not supported; the released models use PReLU.`);
  }
  // Every index 0..last holds at least one key, so a larger index means gaps (and bounds the loops).
  if (last >= sd.size) throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but its layers skip indices (body.${last} with only ${sd.size} tensors).`);
  if (last < 2 || last % 2 !== 0) throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but its last layer is body.${last}; the final conv should have an even index.`);
  const numConv = (last - 2) / 2;

  const [numFeat, inChannels] = requireShape(sd, 'body.0.weight', 4, LABEL) as [number, number];
  const preluSize = requireShape(sd, 'body.1.weight', 1, LABEL)[0]!;
  const lastOut = requireShape(sd, `body.${last}.weight`, 4, LABEL)[0]!;
  // The final conv has out·s² channels; out equals in (the upsampled input is added back)
  // unless the numbers only work out for another common channel count.
  const outChannels = [inChannels, 3, 1, 4].find((c) => lastOut % c === 0 && exactSqrt(lastOut / c) !== undefined);
  if (outChannels === undefined) {
    throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but its last conv has ${lastOut} output channels, not channels × scale².`);
  }
  const scale = exactSqrt(lastOut / outChannels)!;

  const expected: Layout = new Map();
  addConv(expected, 'body.0', numFeat, inChannels);
  expected.set('body.1.weight', [preluSize]);
  for (let c = 1; c <= numConv; c++) {
    addConv(expected, `body.${2 * c}`, numFeat, numFeat);
    expected.set(`body.${2 * c + 1}.weight`, [preluSize]);
  }
  addConv(expected, `body.${last}`, lastOut, numFeat);
  if (preluSize !== 1 && preluSize !== numFeat) {
    throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but its PReLU has ${preluSize} slopes; expected 1 or ${numFeat}.`);
  }
  checkLayout(sd, LABEL, expected);

  return { arch: 'SRVGGNetCompact', scale, inChannels, outChannels, params: countParameters(sd), numFeat, numConv, preluPerChannel: preluSize === numFeat };
}

/**
 * Real-ESRGAN's SRVGGNetCompact forward:
 *   body.0 conv, body.1 PReLU, numConv × (conv, PReLU), last conv to out·s² channels,
 *   pixel_shuffle(s), plus the nearest-upsampled input.
 */
function build(g: GraphBuilder, sd: StateDict, info: SRVGGNetCompactInfo): ValueId {
  const conv = (x: ValueId, i: number) => g.conv(x, convWeights(sd, `body.${i}`, LABEL));
  const act = (x: ValueId, i: number) => g.activation(x, prelu(sd, `body.${i}.weight`, LABEL));
  let x = act(conv(g.input, 0), 1);
  for (let i = 0; i < info.numConv; i++) x = act(conv(x, 2 * i + 2), 2 * i + 3);
  const out = g.pixelShuffle(conv(x, 2 * info.numConv + 2), info.scale);
  return g.add(out, g.input, 1, 1, info.scale);
}

export const SRVGG: Architecture<SRVGGNetCompactInfo> = {
  name: 'SRVGGNetCompact',
  summary: 'SRVGGNetCompact (realesr-general / realesr-animevideo)',
  detect: detectSRVGGNetCompact,
  build,
  inputRange: () => 1,
  describe: (info) => ({
    name: 'SRVGGNetCompact',
    sizes: [
      ['numFeat', sizeText(info.numFeat)],
      ['numConv', sizeText(info.numConv)],
      ['preluPerChannel', sizeText(info.preluPerChannel)],
    ],
  }),
};
