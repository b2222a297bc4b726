import type { NcnnGraph } from './ncnn-graph.js';
import { describeNode, type ActNode, type ConvNode, type NcnnNode } from './ncnn-nodes.js';
import { Matcher, tensorflowToTorchOrder, type NcnnEntry, type NcnnMapping } from './ncnn-match.js';

/**
 * SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3) in ncnn form:
 *
 *     y   = conv(act(conv(… act(conv_first(x)) …)))      Convolution / PReLU chain
 *     out = pixel_shuffle(y, s) + nearest_up(x, s)        PixelShuffle, Interp, BinaryOp add
 *
 * (at scale 1 both the shuffle and the upsampling may be absent). The state dict is one list,
 * `body.K`: conv_first, act, numConv × [conv, act], conv_last, each conv with weight and bias
 * and each PReLU with its slopes. A ReLU or LeakyReLU stands in as a PReLU whose slopes all
 * equal its fixed slope (the same function), since src/models runs SRVGGNetCompact with PReLU.
 */
export function matchSRVGGNetCompact(graph: NcnnGraph): NcnnMapping {
  const m = new Matcher(graph, 'SRVGGNetCompact');
  const [a, b] = m.sum(graph.output, 'the output (the body plus the upsampled input)', [1, 1]) as [NcnnNode, NcnnNode];
  const isBase = (n: NcnnNode) => n === graph.input || (n.kind === 'upsample' && n.input === graph.input);
  if (!isBase(a) && !isBase(b)) throw m.fail('neither term of the output is the input or its nearest upsampling');
  const [base, main] = isBase(a) ? [a, b] : [b, a];
  const baseFactor = base.kind === 'upsample' ? base.factor : 1;

  const shuffle = main.kind === 'pixelShuffle' ? main : undefined;
  const factor = shuffle?.factor ?? 1;
  if (factor !== baseFactor) throw m.fail(`the body is pixel-shuffled by ${factor} but the input upsampled by ${baseFactor}`);
  const last = m.conv(shuffle ? shuffle.input : main, shuffle ? 'the input of the pixel shuffle (the last conv)' : 'the body term of the output (the last conv)');

  // Back from the last conv: activation, conv, activation, conv, … until a conv reads the input.
  const layers: { conv: ConvNode; act: ActNode }[] = [];
  for (let x: NcnnNode = last.input; ; ) {
    const role = `layer ${layers.length + 1} before the last conv`;
    if (x.kind !== 'act') throw m.fail(`${role} should be an activation (PReLU), but is ${describeNode(x)}`);
    const conv = m.conv(x.input, `the input of the activation ${role}`);
    layers.push({ conv, act: x });
    if (conv.input === graph.input) break;
    x = conv.input;
  }
  layers.reverse();

  const channels = layers[0]!.conv.inChannels;
  const features = layers[0]!.conv.outChannels;
  if (last.outChannels !== channels * factor * factor) {
    throw m.fail(`the last conv has ${last.outChannels} outputs, not the input's ${channels} channels × ${factor}² for the pixel shuffle`);
  }
  const entries: NcnnEntry[] = [];
  layers.forEach(({ conv, act }, i) => entries.push({ key: `body.${2 * i}`, conv }, { key: `body.${2 * i + 1}`, act, channels: features }));
  const key = `body.${2 * layers.length}`;
  entries.push(shuffle?.mode === 1 ? { key, conv: last, outFrom: tensorflowToTorchOrder(channels, factor) } : { key, conv: last });
  return { arch: 'SRVGGNetCompact', entries };
}
