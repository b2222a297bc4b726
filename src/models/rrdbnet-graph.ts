import { GraphBuilder } from '../graph/builder.js';
import type { Graph, ValueId } from '../graph/ir.js';
import type { StateDict } from '../weights/types.js';
import { convWeights } from './params.js';
import type { ModelInfo } from './types.js';

/** The 2018 ESRGAN names of the BasicSR modules (RRDB_ESRGAN_x4.pth and its fine-tunes). */
function esrgan2018Name(name: string, numBlock: number): string {
  const rdb = /^body\.(\d+)\.rdb(\d)\.conv(\d)$/.exec(name);
  if (rdb) return `model.1.sub.${rdb[1]}.RDB${rdb[2]}.conv${rdb[3]}.0`;
  const fixed: Record<string, string> = {
    conv_first: 'model.0',
    conv_body: `model.1.sub.${numBlock}`,
    conv_up1: 'model.3',
    conv_up2: 'model.6',
    conv_hr: 'model.8',
    conv_last: 'model.10',
  };
  return fixed[name] ?? name;
}

/**
 * BasicSR's RRDBNet forward, op for op (fusions happen later, for every model alike):
 *   feat = conv_first(unshuffle?(x)); feat = feat + conv_body(RRDB…(feat))
 *   feat = lrelu(conv_up1(up2(feat))); feat = lrelu(conv_up2(up2(feat)))
 *   out  = conv_last(lrelu(conv_hr(feat)))
 * RDB: x1..x4 = lrelu(convK(cat(x, x1, …))); out = 0.2·conv5(cat(x, x1..x4)) + x
 * RRDB: 0.2·RDB3(RDB2(RDB1(x))) + x
 */
export function buildRRDBNet(sd: StateDict, info: ModelInfo): Graph {
  const numBlock = info.numBlock as number;
  const name = info.layout === 'esrgan2018' ? (n: string) => esrgan2018Name(n, numBlock) : (n: string) => n;
  const conv = (g: GraphBuilder, x: ValueId, module: string) => g.conv(x, convWeights(sd, name(module), 'RRDBNet'));
  const g = new GraphBuilder(info.inChannels);
  let x = g.input;
  if (info.scale === 2) x = g.pixelUnshuffle(x, 2);
  else if (info.scale === 1) x = g.pixelUnshuffle(x, 4);
  const feat = conv(g, x, 'conv_first');
  let body = feat;
  for (let b = 0; b < numBlock; b++) {
    const blockIn = body;
    for (let r = 1; r <= 3; r++) {
      const dense = [body];
      // The first conv reads x itself; later ones read the growing concatenation.
      const catAll = () => (dense.length === 1 ? body : g.concat(dense));
      for (let c = 1; c <= 4; c++) dense.push(g.leakyRelu(conv(g, catAll(), `body.${b}.rdb${r}.conv${c}`), 0.2));
      body = g.add(conv(g, catAll(), `body.${b}.rdb${r}.conv5`), body, 0.2, 1);
    }
    body = g.add(body, blockIn, 0.2, 1);
  }
  let up = g.add(feat, conv(g, body, 'conv_body'));
  up = g.leakyRelu(conv(g, g.upsampleNearest(up, 2), 'conv_up1'), 0.2);
  up = g.leakyRelu(conv(g, g.upsampleNearest(up, 2), 'conv_up2'), 0.2);
  const out = conv(g, g.leakyRelu(conv(g, up, 'conv_hr'), 0.2), 'conv_last');
  return g.build(out);
}
