import { WgsrError } from '../errors.js';
import { countParameters } from '../weights/state-dict.js';
import type { StateDict } from '../weights/types.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { ValueId } from '../graph/ir.js';
import { sizeText, type Architecture, type CommonInfo } from './architecture.js';
import { addConv, checkLayout, countConsecutive, requireShape, type Layout } from './layout.js';
import { convWeights } from './params.js';

/**
 * RRDBNet (ESRGAN, Real-ESRGAN): conv_first, numBlock RRDBs of 3 residual dense blocks of 5
 * convs, conv_body, two nearest-×2 + conv upsampling stages, conv_hr, conv_last.
 * - `basicsr`: BasicSR / Real-ESRGAN keys. Scale 2 and 1 fold the input with pixel_unshuffle
 *   (×4 and ×16 channels into conv_first) and still upsample ×4.
 * - `esrgan2018`: the original ESRGAN repository's nn.Sequential keys (RRDB_ESRGAN_x4.pth):
 *   model.0 = conv_first, model.1.sub.N.RDBk.convj.0 = RDB convs, model.1.sub.{numBlock} =
 *   conv_body, model.3 / model.6 = upsampling convs, model.8 = conv_hr, model.10 = conv_last.
 */
export interface RRDBNetInfo extends CommonInfo {
  arch: 'RRDBNet';
  layout: 'basicsr' | 'esrgan2018';
  numFeat: number;
  numBlock: number;
  /** Channels each dense conv adds; read from the shapes (32 in the released models). */
  numGrowCh: number;
}

export interface RRDBNames {
  readonly label: string;
  readonly first: string;
  rdbConv(block: number, rdb: number, conv: number): string;
  trunk(numBlock: number): string;
  readonly up1: string;
  readonly up2: string;
  readonly hr: string;
  readonly last: string;
}

const BASICSR_NAMES: RRDBNames = {
  label: 'RRDBNet (BasicSR layout)',
  first: 'conv_first',
  rdbConv: (b, r, j) => `body.${b}.rdb${r}.conv${j}`,
  trunk: () => 'conv_body',
  up1: 'conv_up1',
  up2: 'conv_up2',
  hr: 'conv_hr',
  last: 'conv_last',
};

const ESRGAN2018_NAMES: RRDBNames = {
  label: 'RRDBNet (2018 ESRGAN layout)',
  first: 'model.0',
  rdbConv: (b, r, j) => `model.1.sub.${b}.RDB${r}.conv${j}.0`,
  trunk: (numBlock) => `model.1.sub.${numBlock}`,
  up1: 'model.3',
  up2: 'model.6',
  hr: 'model.8',
  last: 'model.10',
};

/** The module names of one key layout (detection and the graph builder share them). */
export function rrdbNames(layout: RRDBNetInfo['layout']): RRDBNames {
  return layout === 'basicsr' ? BASICSR_NAMES : ESRGAN2018_NAMES;
}

export function detectRRDBNet(sd: StateDict): RRDBNetInfo | null {
  const layout = sd.has('conv_first.weight') && sd.has('body.0.rdb1.conv1.weight') ? 'basicsr'
    : sd.has('model.0.weight') && sd.has('model.1.sub.0.RDB1.conv1.0.weight') ? 'esrgan2018'
    : null;
  if (!layout) return null;
  const names = rrdbNames(layout);

  // The 2018 Sequential numbers its modules, so other scales shift every index after model.1.
  if (layout === 'esrgan2018' && (sd.has('model.9.weight') || !sd.has('model.10.weight'))) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${names.label} with other than two upsampling stages (model.3, model.6) is not supported; only ×4.`);
  }
  if (layout === 'basicsr' && sd.has('conv_up3.weight')) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${names.label} with conv_up3 (×8) is not supported; only scales 1, 2 and 4.`);
  }

  const [numFeat, firstIn] = requireShape(sd, `${names.first}.weight`, 4, names.label) as [number, number];
  const numGrowCh = requireShape(sd, `${names.rdbConv(0, 1, 1)}.weight`, 4, names.label)[0]!;
  const numBlock = countConsecutive(sd, (b) => `${names.rdbConv(b, 1, 1)}.weight`);
  const outChannels = requireShape(sd, `${names.last}.weight`, 4, names.label)[0]!;

  // BasicSR's scale 2 / 1 models pixel-unshuffle the input first: 4× / 16× the channels.
  let scale = 4;
  let inChannels = firstIn;
  if (layout === 'basicsr' && firstIn === 4 * outChannels) [scale, inChannels] = [2, outChannels];
  else if (layout === 'basicsr' && firstIn === 16 * outChannels) [scale, inChannels] = [1, outChannels];

  const expected: Layout = new Map();
  addConv(expected, names.first, numFeat, firstIn);
  for (let b = 0; b < numBlock; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let j = 1; j <= 4; j++) addConv(expected, names.rdbConv(b, r, j), numGrowCh, numFeat + (j - 1) * numGrowCh);
      addConv(expected, names.rdbConv(b, r, 5), numFeat, numFeat + 4 * numGrowCh);
    }
  }
  addConv(expected, names.trunk(numBlock), numFeat, numFeat);
  addConv(expected, names.up1, numFeat, numFeat);
  addConv(expected, names.up2, numFeat, numFeat);
  addConv(expected, names.hr, numFeat, numFeat);
  addConv(expected, names.last, outChannels, numFeat);
  checkLayout(sd, names.label, expected);

  return { arch: 'RRDBNet', layout, scale, inChannels, outChannels, params: countParameters(sd), numFeat, numBlock, numGrowCh };
}

/**
 * BasicSR's RRDBNet forward, op for op (fusions happen later, for every model alike):
 *   feat = conv_first(unshuffle?(x)); feat = feat + conv_body(RRDB…(feat))
 *   feat = lrelu(conv_up1(up2(feat))); feat = lrelu(conv_up2(up2(feat)))
 *   out  = conv_last(lrelu(conv_hr(feat)))
 * RDB: x1..x4 = lrelu(convK(cat(x, x1, …))); out = 0.2·conv5(cat(x, x1..x4)) + x
 * RRDB: 0.2·RDB3(RDB2(RDB1(x))) + x
 * The 2018 ESRGAN layout has the same modules under other names.
 */
function build(g: GraphBuilder, sd: StateDict, info: RRDBNetInfo): ValueId {
  const names = rrdbNames(info.layout);
  const conv = (x: ValueId, name: string) => g.conv(x, convWeights(sd, name, 'RRDBNet'));
  let x = g.input;
  if (info.scale === 2) x = g.pixelUnshuffle(x, 2);
  else if (info.scale === 1) x = g.pixelUnshuffle(x, 4);
  const feat = conv(x, names.first);
  let body = feat;
  for (let b = 0; b < info.numBlock; b++) {
    const blockIn = body;
    for (let r = 1; r <= 3; r++) {
      const dense = [body];
      // The first conv reads x itself; later ones read the growing concatenation.
      const catAll = () => (dense.length === 1 ? body : g.concat(dense));
      for (let c = 1; c <= 4; c++) dense.push(g.leakyRelu(conv(catAll(), names.rdbConv(b, r, c)), 0.2));
      body = g.add(conv(catAll(), names.rdbConv(b, r, 5)), body, 0.2, 1);
    }
    body = g.add(body, blockIn, 0.2, 1);
  }
  let up = g.add(feat, conv(body, names.trunk(info.numBlock)));
  up = g.leakyRelu(conv(g.upsampleNearest(up, 2), names.up1), 0.2);
  up = g.leakyRelu(conv(g.upsampleNearest(up, 2), names.up2), 0.2);
  return conv(g.leakyRelu(conv(up, names.hr), 0.2), names.last);
}

export const RRDBNET: Architecture<RRDBNetInfo> = {
  name: 'RRDBNet',
  summary: 'RRDBNet (ESRGAN / Real-ESRGAN, BasicSR and 2018 key layouts)',
  detect: detectRRDBNet,
  build,
  inputRange: () => 1,
  describe: (info) => ({
    name: `RRDBNet (${info.layout} layout)`,
    sizes: [
      ['numFeat', sizeText(info.numFeat)],
      ['numBlock', sizeText(info.numBlock)],
      ['numGrowCh', sizeText(info.numGrowCh)],
    ],
  }),
};
