/**
 * Tiny RRDBNet and SRVGGNetCompact models in ncnn form, written the ways ncnn's converters write
 * them (onnx2ncnn: fused LeakyReLU, Eltwise sums with coefficients; pnnx: separate ReLU layers,
 * BinaryOp mul-by-scalar then add), each with the state-dict key every convolution and PReLU
 * must end up under.
 */

import { NcnnBuilder } from './ncnn-builder.js';

/** Where a state-dict module's tensors come from. */
export type Source = { conv: string } | { prelu: string } | { slope: number; channels: number };

export interface TinyModel {
  builder: NcnnBuilder;
  /** State-dict module name → where its tensors come from, in the state dict's order. */
  keys: Map<string, Source>;
  param: Uint8Array;
  bin: Uint8Array;
  text: string;
}

export interface RRDBOptions {
  numFeat?: number;
  numGrow?: number;
  numBlock?: number;
  outChannels?: number;
  fp16?: boolean;
  /** How a residual `0.2·y + x` is written. */
  residual?: 'eltwise' | 'eltwise-swapped' | 'binaryop';
  /** LeakyReLU fused into the conv (onnx2ncnn) or as a ReLU layer (pnnx). */
  act?: 'fused' | 'separate';
  /** Pixel-unshuffle the input (BasicSR's scale 2 and 1) with ncnn's Reorg. */
  unshuffle?: { factor: 2 | 4; mode: 0 | 1 };
  seed?: number;
}

export function tinyRRDBNet(o: RRDBOptions = {}): TinyModel {
  const nf = o.numFeat ?? 4;
  const gc = o.numGrow ?? 2;
  const blocks = o.numBlock ?? 2;
  const out = o.outChannels ?? 3;
  const b = new NcnnBuilder({ fp16: o.fp16, seed: o.seed ?? 7 });
  const keys = new Map<string, Source>();
  let n = 0;
  const conv = (key: string, input: string, cout: number, cin: number, leaky: boolean) => {
    const name = `Conv_${n++}`;
    keys.set(key, { conv: name });
    if (!leaky) return b.conv(name, input, cout, cin);
    if (o.act === 'separate') return b.layer('ReLU', `LeakyRelu_${n++}`, [b.conv(name, input, cout, cin)], [b.blob()], '0=2.000000e-01')[0]!;
    return b.conv(name, input, cout, cin, { act: 'leaky' });
  };
  const residual = (y: string, x: string) => {
    if (o.residual === 'binaryop') {
      const scaled = b.layer('BinaryOp', `Mul_${n++}`, [y], [b.blob()], '0=2 1=1 2=2.000000e-01')[0]!;
      return b.layer('BinaryOp', `Add_${n++}`, [scaled, x], [b.blob()], '0=0')[0]!;
    }
    if (o.residual === 'eltwise-swapped') return b.layer('Eltwise', `Add_${n++}`, [x, y], [b.blob()], '0=1 -23301=2,1.000000e+00,2.000000e-01')[0]!;
    return b.layer('Eltwise', `Add_${n++}`, [y, x], [b.blob()], '0=1 -23301=2,2.000000e-01,1.000000e+00')[0]!;
  };

  let x = b.input();
  let firstIn = out;
  if (o.unshuffle) {
    x = b.layer('Reorg', `Reorg_${n++}`, [x], [b.blob()], `0=${o.unshuffle.factor} 1=${o.unshuffle.mode}`)[0]!;
    firstIn = out * o.unshuffle.factor ** 2;
  }
  const feat = conv('conv_first', x, nf, firstIn, false);
  let h = feat;
  for (let block = 0; block < blocks; block++) {
    const blockIn = h;
    for (let r = 1; r <= 3; r++) {
      const dense = [h];
      for (let j = 1; j <= 4; j++) {
        const input = j === 1 ? h : b.layer('Concat', `Concat_${n++}`, [...dense], [b.blob()])[0]!;
        dense.push(conv(`body.${block}.rdb${r}.conv${j}`, input, gc, nf + (j - 1) * gc, true));
      }
      const c5 = conv(`body.${block}.rdb${r}.conv5`, b.layer('Concat', `Concat_${n++}`, [...dense], [b.blob()])[0]!, nf, nf + 4 * gc, false);
      h = residual(c5, h);
    }
    h = residual(h, blockIn);
  }
  const trunk = conv('conv_body', h, nf, nf, false);
  h = b.layer('BinaryOp', `Add_${n++}`, [feat, trunk], [b.blob()])[0]!;
  h = b.layer('Interp', `Resize_${n++}`, [h], [b.blob()], '0=1 1=2.000000e+00 2=2.000000e+00')[0]!;
  h = conv('conv_up1', h, nf, nf, true);
  h = b.layer('Interp', `Resize_${n++}`, [h], [b.blob()], '0=1 1=2.000000e+00 2=2.000000e+00')[0]!;
  h = conv('conv_up2', h, nf, nf, true);
  h = conv('conv_hr', h, nf, nf, true);
  const name = `Conv_${n++}`;
  keys.set('conv_last', { conv: name });
  b.conv(name, h, out, nf, { top: 'output' });
  return { builder: b, keys, ...b.files() };
}

export interface SRVGGOptions {
  numFeat?: number;
  numConv?: number;
  scale?: number;
  channels?: number;
  fp16?: boolean;
  /** The activation: per-channel PReLU (released models), one shared slope, ReLU, LeakyReLU(0.1). */
  act?: 'prelu' | 'prelu-shared' | 'relu' | 'leaky';
  /** ncnn PixelShuffle mode (0: PyTorch order, 1: TensorFlow order). */
  shuffleMode?: 0 | 1;
  seed?: number;
}

export function tinySRVGG(o: SRVGGOptions = {}): TinyModel {
  const nf = o.numFeat ?? 4;
  const numConv = o.numConv ?? 2;
  const scale = o.scale ?? 4;
  const c = o.channels ?? 3;
  const b = new NcnnBuilder({ fp16: o.fp16, seed: o.seed ?? 11 });
  const keys = new Map<string, Source>();
  const x = b.input('data', c);
  let h = x;
  let k = 0;
  for (let i = 0; i <= numConv; i++) {
    const name = `Conv_${2 * i}`;
    keys.set(`body.${k++}`, { conv: name });
    const act = o.act ?? 'prelu';
    if (act === 'relu' || act === 'leaky') {
      h = b.conv(name, h, nf, i === 0 ? c : nf, { act: act === 'relu' ? 'relu' : 'leaky', slope: 0.1 });
      keys.set(`body.${k++}`, { slope: act === 'relu' ? 0 : Math.fround(0.1), channels: nf });
    } else {
      h = b.conv(name, h, nf, i === 0 ? c : nf);
      const prelu = `PRelu_${2 * i + 1}`;
      keys.set(`body.${k++}`, { prelu });
      h = b.prelu(prelu, h, act === 'prelu' ? nf : 1);
    }
  }
  const last = `Conv_${2 * numConv + 2}`;
  keys.set(`body.${k}`, { conv: last });
  h = b.conv(last, h, c * scale * scale, nf);
  let up = x;
  if (scale > 1) {
    h = b.layer('PixelShuffle', 'DepthToSpace', [h], [b.blob()], `0=${scale}${o.shuffleMode ? ` 1=${o.shuffleMode}` : ''}`)[0]!;
    up = b.layer('Interp', 'Resize', [x], [b.blob()], `0=1 1=${scale.toFixed(6)} 2=${scale.toFixed(6)}`)[0]!;
  }
  b.layer('BinaryOp', 'Add', [h, up], ['output'], '0=0');
  return { builder: b, keys, ...b.files() };
}
