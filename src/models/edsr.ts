import { WgsrError } from '../errors.js';
import { countParameters } from '../weights/state-dict.js';
import type { StateDict } from '../weights/types.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { ConvWeights, ValueId } from '../graph/ir.js';
import { sizeText, type Architecture, type CommonInfo, type ModelOptions } from './architecture.js';
import { addConv, checkLayout, countConsecutive, exactSqrt, requireShape, type Layout } from './layout.js';
import { convWeights } from './params.js';

/**
 * EDSR in the EDSR-PyTorch layout: sub_mean (MeanShift) → head.0 conv → body.N ResBlocks
 * (body.N.body.0 conv, ReLU, body.N.body.2 conv, ×resScale, +x) and a final body.{numResBlocks}
 * conv, plus the head output → tail.0 Upsampler (conv to r²·nf + pixel_shuffle(r), r = 2 per ×2
 * stage or one r = 3) → tail.1 conv → add_mean. Input and output are in [0, rgbRange].
 */
export interface EDSRInfo extends CommonInfo {
  arch: 'EDSR';
  numFeat: number;
  numResBlocks: number;
  /** Residual scaling; not stored in the weights: 0.1 for the 256-feature EDSR, else 1. */
  resScale: number;
  rgbRange: 255;
  /** Per-channel mean MeanShift subtracts / adds back (DIV2K's when the file has no MeanShift). */
  rgbMean: [number, number, number];
  rgbStd: [number, number, number];
}

const LABEL = 'EDSR';
/** DIV2K's RGB mean, EDSR-PyTorch's default. */
const DIV2K_MEAN: [number, number, number] = [0.4488, 0.4371, 0.404];
const RGB_RANGE = 255;

export function detectEDSR(sd: StateDict): EDSRInfo | null {
  if (!sd.has('head.0.weight') || !sd.has('tail.0.0.weight')) return null;
  const [numFeat, inChannels, kernel] = requireShape(sd, 'head.0.weight', 4, LABEL) as [number, number, number];
  const numResBlocks = countConsecutive(sd, (i) => `body.${i}.body.0.weight`);
  const outChannels = requireShape(sd, 'tail.1.weight', 4, LABEL)[0]!;
  if (inChannels !== 3 || outChannels !== 3) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${LABEL} with ${inChannels} input / ${outChannels} output channels is not supported; EDSR's MeanShift is RGB only.`);
  }

  // Upsampler stages are tail.0.0, tail.0.2, … (pixel shuffles sit at the odd indices).
  const factors: number[] = [];
  for (let j = 0; sd.has(`tail.0.${j}.weight`); j += 2) {
    const out = requireShape(sd, `tail.0.${j}.weight`, 4, LABEL)[0]!;
    const r = out % numFeat === 0 ? exactSqrt(out / numFeat) : undefined;
    if (r === undefined || r < 2) throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but tail.0.${j} has ${out} output channels, not r²·${numFeat}.`);
    factors.push(r);
  }
  if (!(factors.every((r) => r === 2) || (factors.length === 1 && factors[0] === 3))) {
    throw new WgsrError('UNSUPPORTED_MODEL', `${LABEL} upsampler with stages ×${factors.join(', ×')} is not supported; EDSR-PyTorch builds ×2 stages or one ×3.`);
  }
  const scale = factors.reduce((a, b) => a * b, 1);

  const expected: Layout = new Map();
  addConv(expected, 'head.0', numFeat, inChannels, kernel);
  for (let i = 0; i < numResBlocks; i++) {
    addConv(expected, `body.${i}.body.0`, numFeat, numFeat, kernel);
    addConv(expected, `body.${i}.body.2`, numFeat, numFeat, kernel);
  }
  addConv(expected, `body.${numResBlocks}`, numFeat, numFeat, kernel);
  factors.forEach((r, s) => addConv(expected, `tail.0.${2 * s}`, r * r * numFeat, numFeat, kernel));
  addConv(expected, 'tail.1', outChannels, numFeat, kernel);
  const meanShift = ['sub_mean', 'add_mean'];
  for (const name of meanShift) addConv(expected, name, 3, 3, 1);
  checkLayout(sd, LABEL, expected, new Set(meanShift.flatMap((n) => [`${n}.weight`, `${n}.bias`])));
  for (const name of meanShift) {
    if (sd.has(`${name}.weight`) !== sd.has(`${name}.bias`)) throw new WgsrError('BAD_MODEL', `looks like ${LABEL} but ${name} has only one of weight and bias.`);
  }

  const { rgbMean, rgbStd } = readMeanShift(sd);
  return {
    arch: 'EDSR',
    scale,
    inChannels,
    outChannels,
    params: countParameters(sd),
    numFeat,
    numResBlocks,
    resScale: numFeat === 256 ? 0.1 : 1,
    rgbRange: RGB_RANGE,
    rgbMean,
    rgbStd,
  };
}

/**
 * MeanShift is a frozen 1×1 conv: weight = I/std, bias = sign·rgbRange·mean/std (sign −1 for
 * sub_mean, +1 for add_mean). So std = 1/w_cc and mean = sign·bias·std/rgbRange.
 */
function readMeanShift(sd: StateDict): { rgbMean: [number, number, number]; rgbStd: [number, number, number] } {
  const name = sd.has('add_mean.weight') ? 'add_mean' : sd.has('sub_mean.weight') ? 'sub_mean' : undefined;
  if (!name) return { rgbMean: [...DIV2K_MEAN], rgbStd: [1, 1, 1] };
  const sign = name === 'add_mean' ? 1 : -1;
  const weight = sd.get(`${name}.weight`)!.data;
  const bias = sd.get(`${name}.bias`)!.data;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 3; k++) {
      if (k !== c && weight[c * 3 + k] !== 0) throw new WgsrError('BAD_MODEL', `${LABEL}'s ${name}.weight is not diagonal; it is not a MeanShift.`);
    }
    const w = weight[c * 3 + c]!;
    if (!(w > 0)) throw new WgsrError('BAD_MODEL', `${LABEL}'s ${name}.weight has ${w} on its diagonal; a MeanShift has 1/std > 0.`);
    std.push(1 / w);
    mean.push((sign * bias[c]!) / (w * RGB_RANGE));
  }
  return { rgbMean: mean as [number, number, number], rgbStd: std as [number, number, number] };
}

/**
 * EDSR-PyTorch's forward (inputs in 0..255):
 *   x = head(sub_mean(x)); res = body(x) + x; x = add_mean(tail(res))
 *   ResBlock: res_scale·conv(relu(conv(x))) + x; the body ends with a conv.
 *   Upsampler: ×2/×3 one conv to s²·n_feats + pixel_shuffle(s); ×4 two ×2 stages.
 * MeanShift is a fixed 1×1 conv; files without it get DIV2K's mean (as EDSR-PyTorch builds it).
 */
function build(g: GraphBuilder, sd: StateDict, info: EDSRInfo, options: ModelOptions): ValueId {
  const resScale = options.resScale ?? info.resScale;
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
  return meanShift(conv(x, 'tail.1'), 'add_mean');
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

export const EDSR: Architecture<EDSRInfo> = {
  name: 'EDSR',
  summary: 'EDSR (EDSR-PyTorch layout)',
  detect: detectEDSR,
  build,
  // MeanShift normalises by DIV2K's mean: EDSR-PyTorch creates it with requires_grad False.
  fixedParameters: ['sub_mean.', 'add_mean.'],
  options: ['resScale'],
  inputRange: (info) => info.rgbRange,
  describe: (info) => ({
    name: 'EDSR',
    sizes: [
      ['numFeat', sizeText(info.numFeat)],
      ['numResBlocks', sizeText(info.numResBlocks)],
      ['resScale', sizeText(info.resScale)],
      ['rgbRange', sizeText(info.rgbRange)],
      ['rgbMean', sizeText(info.rgbMean)],
      ['rgbStd', sizeText(info.rgbStd)],
    ],
  }),
};
