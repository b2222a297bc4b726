import type { NcnnGraph } from './ncnn-graph.js';
import { describeNode, type ConvNode, type NcnnNode } from './ncnn-nodes.js';
import { Matcher, tensorflowToTorchOrder, type NcnnEntry, type NcnnMapping } from './ncnn-match.js';

/**
 * RRDBNet (ESRGAN / Real-ESRGAN) in ncnn form, as onnx2ncnn and pnnx write it:
 *
 *     feat  = conv_first(x)                     x optionally pixel-unshuffled (Reorg) first: scale 2, 1
 *     body  = RRDB(…RRDB(feat))                 numBlock blocks
 *     feat  = feat + conv_body(body)            BinaryOp add
 *     feat  = lrelu(conv_up1(up2(feat)))        Interp nearest ×2, Convolution with fused LeakyReLU(0.2)
 *     feat  = lrelu(conv_up2(up2(feat)))
 *     out   = conv_last(lrelu(conv_hr(feat)))
 *
 *     RRDB(x) = 0.2·RDB3(RDB2(RDB1(x))) + x     Eltwise sum, coefficients 0.2 and 1
 *     RDB(x)  = 0.2·c5 + x,  cj = conv_j(concat(x, c1 … c(j-1))), c1…c4 with LeakyReLU(0.2)
 *
 * Names follow BasicSR's state dict: conv_first, body.N.rdbK.convJ, conv_body, conv_up1,
 * conv_up2, conv_hr, conv_last — the keys src/models detects.
 */

const SLOPE = 0.2;
const RESIDUAL = 0.2;

export function matchRRDBNet(graph: NcnnGraph): NcnnMapping {
  const m = new Matcher(graph, 'RRDBNet');
  const last = m.conv(graph.output, 'the output (conv_last)');
  const hr = m.leaky(last.input, 'the input of conv_last (conv_hr)', SLOPE);
  const up2 = m.leaky(hr.input, 'the input of conv_hr (conv_up2)', SLOPE);
  const up1 = m.leaky(upsampled(m, up2.input, 'conv_up2'), 'the input of the second upsampling (conv_up1)', SLOPE);
  const [a, b] = m.sum(upsampled(m, up1.input, 'conv_up1'), 'the input of the first upsampling (conv_first + conv_body)', [1, 1]) as [NcnnNode, NcnnNode];

  // Of the two terms, conv_first is the one that reads the network's input.
  const readsInput = (n: NcnnNode) => n.kind === 'conv' && (n.input === graph.input || (n.input.kind === 'pixelUnshuffle' && n.input.input === graph.input));
  const [firstNode, bodyNode] = readsInput(a) ? [a, b] : [b, a];
  const first = m.conv(firstNode, 'one term of the sum before upsampling (conv_first, reading the input)');
  if (!readsInput(first)) throw m.fail(`neither term of the sum before upsampling is a convolution of the input (conv_first)`);
  const body = m.conv(bodyNode, 'the other term of the sum before upsampling (conv_body)');

  // The blocks, last to first: each RRDB's input is the previous one's output, down to conv_first.
  const blocks: ConvNode[][][] = [];
  for (let x = body.input; x !== first; ) {
    const { rdbs, input } = matchRRDB(m, x, `RRDB ${blocks.length + 1} from the end`);
    blocks.push(rdbs);
    x = input;
  }
  if (blocks.length === 0) throw m.fail('conv_body reads conv_first directly: there are no RRDB blocks');
  blocks.reverse();

  const entries: NcnnEntry[] = [firstEntry(m, first, last)];
  blocks.forEach((rdbs, n) => rdbs.forEach((convs, r) => convs.forEach((conv, j) => entries.push({ key: `body.${n}.rdb${r + 1}.conv${j + 1}`, conv }))));
  entries.push({ key: 'conv_body', conv: body }, { key: 'conv_up1', conv: up1 }, { key: 'conv_up2', conv: up2 }, { key: 'conv_hr', conv: hr }, { key: 'conv_last', conv: last });
  return { arch: 'RRDBNet', entries };
}

function upsampled(m: Matcher, node: NcnnNode, consumer: string): NcnnNode {
  if (node.kind !== 'upsample' || node.factor !== 2) throw m.fail(`the input of ${consumer} should be a nearest ×2 upsampling, but is ${describeNode(node)}`);
  return node.input;
}

/**
 * conv_first, with its input channels in PyTorch's pixel_unshuffle order. BasicSR unshuffles
 * by 2 (scale 2) or 4 (scale 1), and src/models tells the scale from conv_first's input
 * channels being 4× or 16× the output's, so other combinations would be misread and are refused.
 */
function firstEntry(m: Matcher, first: ConvNode, last: ConvNode): NcnnEntry {
  const out = last.outChannels;
  if (first.input.kind !== 'pixelUnshuffle') {
    if (first.inChannels === 4 * out || first.inChannels === 16 * out) {
      throw m.fail(`conv_first reads ${first.inChannels} channels without a pixel unshuffle, which BasicSR's layout cannot tell from a scale-${first.inChannels === 4 * out ? 2 : 1} model`);
    }
    return { key: 'conv_first', conv: first };
  }
  const { factor, mode } = first.input;
  if ((factor !== 2 && factor !== 4) || first.inChannels !== out * factor * factor) {
    throw m.fail(`the input is pixel-unshuffled by ${factor} into ${first.inChannels} channels; BasicSR's RRDBNet unshuffles by 2 or 4 an input with as many channels as the output (${out})`);
  }
  return mode === 0 ? { key: 'conv_first', conv: first } : { key: 'conv_first', conv: first, inFrom: tensorflowToTorchOrder(out, factor) };
}

/** One RRDB whose output is `y`: its three RDBs' convolutions and the block's input. */
function matchRRDB(m: Matcher, y: NcnnNode, role: string): { rdbs: ConvNode[][]; input: NcnnNode } {
  const [inner, x] = m.sum(y, `the output of ${role}`, [RESIDUAL, 1]) as [NcnnNode, NcnnNode];
  const rdbs: ConvNode[][] = [];
  let z = inner;
  for (let r = 3; r >= 1; r--) {
    const { convs, input } = matchRDB(m, z, `RDB ${r} of ${role}`);
    rdbs.unshift(convs);
    z = input;
  }
  m.same(z, x, `the input of RDB 1 of ${role} (the block's input)`);
  return { rdbs, input: x };
}

/**
 * One residual dense block whose output is `y`: conv1…conv5 and the block's input. conv5 reads
 * concat(x, a1 … a4) with aj = LeakyReLU(conv_j(…)); each earlier conv_j must read exactly the
 * first j of those same values (conv1 reads x itself).
 */
function matchRDB(m: Matcher, y: NcnnNode, role: string): { convs: ConvNode[]; input: NcnnNode } {
  const [c5, x] = m.sum(y, `the output of ${role}`, [RESIDUAL, 1]) as [NcnnNode, NcnnNode];
  const conv5 = m.conv(c5, `conv5 of ${role}`);
  const dense = concatParts(m, conv5.input, 5, `the input of conv5 of ${role}`);
  m.same(dense[0]!, x, `the first input of conv5 of ${role} (the block's input)`);
  const convs = dense.slice(1).map((a, i) => m.leaky(a, `input ${i + 2} of conv5 of ${role} (conv${i + 1})`, SLOPE));
  m.same(convs[0]!.input, x, `the input of conv1 of ${role} (the block's input)`);
  for (let j = 2; j <= 4; j++) {
    const parts = concatParts(m, convs[j - 1]!.input, j, `the input of conv${j} of ${role}`);
    parts.forEach((part, k) => m.same(part, dense[k]!, `input ${k + 1} of conv${j} of ${role}`));
  }
  return { convs: [...convs, conv5], input: x };
}

function concatParts(m: Matcher, node: NcnnNode, count: number, role: string): readonly NcnnNode[] {
  if (node.kind !== 'concat' || node.parts.length !== count) throw m.fail(`${role} should be a concatenation of ${count} values, but is ${describeNode(node)}`);
  return node.parts;
}
