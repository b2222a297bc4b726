import { GraphBuilder } from '../graph/builder.js';
import type { Graph, ValueId } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import { convWeights } from './params.js';
import { rrdbNames, type RRDBNetInfo } from './rrdbnet.js';

/**
 * BasicSR's RRDBNet forward, op for op (fusions happen later, for every model alike):
 *   feat = conv_first(unshuffle?(x)); feat = feat + conv_body(RRDB…(feat))
 *   feat = lrelu(conv_up1(up2(feat))); feat = lrelu(conv_up2(up2(feat)))
 *   out  = conv_last(lrelu(conv_hr(feat)))
 * RDB: x1..x4 = lrelu(convK(cat(x, x1, …))); out = 0.2·conv5(cat(x, x1..x4)) + x
 * RRDB: 0.2·RDB3(RDB2(RDB1(x))) + x
 * The 2018 ESRGAN layout has the same modules under other names.
 */
export function buildRRDBNet(sd: StateDict, info: RRDBNetInfo): Graph {
  const names = rrdbNames(info.layout);
  const conv = (x: ValueId, name: string) => g.conv(x, convWeights(sd, name, 'RRDBNet'));
  const g = new GraphBuilder(info.inChannels);
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
  return g.build(conv(g.leakyRelu(conv(up, names.hr), 0.2), names.last));
}
