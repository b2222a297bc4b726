import { describe, expect, it } from 'vitest';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadNcnn } from '../../src/weights/ncnn.js';
import type { StateDict } from '../../src/weights/types.js';
import { error } from '../helpers/errors.js';
import { rng } from '../helpers/synthetic.js';
import { concat, f32 } from './ncnn-builder.js';
import { tinyRRDBNet, tinySRVGG, type TinyModel } from './ncnn-models.js';

const load = (m: { param: Uint8Array; bin: Uint8Array }) => loadNcnn(m.param, m.bin, 'tiny.param');

/** Every module the model says, in that order, with exactly the values its layers hold. */
function expectMapped(model: TinyModel, sd: StateDict): void {
  const keys: string[] = [];
  for (const [key, from] of model.keys) {
    if ('conv' in from) {
      const conv = model.builder.convs.get(from.conv)!;
      keys.push(`${key}.weight`, `${key}.bias`);
      expect(sd.get(`${key}.weight`)?.shape, key).toEqual([conv.out, conv.in, 3, 3]);
      expect(sd.get(`${key}.weight`)!.data, key).toEqual(conv.weight);
      expect(sd.get(`${key}.weight`)!.dtype).toBe(model.builder.options.fp16 ? 'float16' : 'float32');
      expect(sd.get(`${key}.bias`)).toEqual({ shape: [conv.out], data: conv.bias ?? new Float32Array(conv.out), dtype: 'float32' });
    } else {
      keys.push(`${key}.weight`);
      const want = 'prelu' in from ? model.builder.prelus.get(from.prelu)! : new Float32Array(from.channels).fill(from.slope);
      expect(sd.get(`${key}.weight`), key).toEqual({ shape: [want.length], data: want, dtype: 'float32' });
    }
  }
  expect([...sd.keys()]).toEqual(keys);
}

/** A copy of the model's .param with one line changed (1-based). */
function editLine(model: TinyModel, line: number, edit: (text: string) => string): { param: Uint8Array; bin: Uint8Array } {
  const lines = model.text.split('\n');
  lines[line - 1] = edit(lines[line - 1]!);
  return { param: new TextEncoder().encode(lines.join('\n')), bin: model.bin };
}

function lineOf(model: TinyModel, pattern: RegExp): number {
  return model.text.split('\n').findIndex((l) => pattern.test(l)) + 1;
}

describe('ncnn RRDBNet → Real-ESRGAN state dict', () => {
  const variants: [string, Parameters<typeof tinyRRDBNet>[0]][] = [
    ['onnx2ncnn form: fused LeakyReLU, Eltwise sums', {}],
    ['float16 weights', { fp16: true }],
    ['pnnx form: ReLU layers, BinaryOp mul-by-scalar then add', { residual: 'binaryop', act: 'separate' }],
    ['sums listing the terms the other way round', { residual: 'eltwise-swapped' }],
    ['one block of 6 features, growth 3', { numBlock: 1, numFeat: 6, numGrow: 3 }],
    ['three blocks, one output channel', { numBlock: 3, outChannels: 1 }],
  ];
  for (const [what, options] of variants) {
    it(what, () => {
      const model = tinyRRDBNet(options);
      const { format, stateDict } = load(model);
      expect(format).toBe('ncnn');
      expectMapped(model, stateDict);
      const info = detectArchitecture(stateDict);
      const o = { numFeat: 4, numGrow: 2, numBlock: 2, outChannels: 3, ...options };
      expect(info).toMatchObject({ arch: 'RRDBNet', layout: 'basicsr', scale: 4, numFeat: o.numFeat, numGrowCh: o.numGrow, numBlock: o.numBlock, outChannels: o.outChannels });
      expect(info.params).toBe([...model.builder.convs.values()].reduce((a, c) => a + c.weight.length + c.out, 0));
    });
  }

  for (const [factor, scale] of [[2, 2], [4, 1]] as const) {
    it(`pixel-unshuffled input (Reorg ${factor}, PyTorch order) is BasicSR's scale ${scale}`, () => {
      const model = tinyRRDBNet({ unshuffle: { factor, mode: 0 } });
      const { stateDict } = load(model);
      expectMapped(model, stateDict);
      expect(detectArchitecture(stateDict)).toMatchObject({ arch: 'RRDBNet', scale, inChannels: 3 });
    });
  }

  it("a Reorg in TensorFlow order (mode 1) gets conv_first's input channels reordered to compute the same", () => {
    const model = tinyRRDBNet({ unshuffle: { factor: 2, mode: 1 } });
    const { stateDict } = load(model);
    expect(detectArchitecture(stateDict)).toMatchObject({ scale: 2 });
    const ncnn = model.builder.convs.get((model.keys.get('conv_first') as { conv: string }).conv)!;
    const x = randomImage(3, 6, 8, 5);
    const want = conv3x3(ncnnReorg(x, 2, 1), ncnn.weight, ncnn.bias!, ncnn.out);
    const got = conv3x3(torchPixelUnshuffle(x, 2), stateDict.get('conv_first.weight')!.data, stateDict.get('conv_first.bias')!.data, ncnn.out);
    expectSame(got, want);
  });

  it('refuses a residual scale other than 0.2, saying where', () => {
    const model = tinyRRDBNet();
    const line = lineOf(model, /^Eltwise/);
    const e = error(() => load(editLine(model, line, (l) => l.replace('2.000000e-01,1.000000e+00', '5.000000e-01,1.000000e+00'))));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/^tiny\.param: this ncnn graph is neither RRDBNet nor SRVGGNetCompact\. Read as RRDBNet, the output of RDB 1 of RRDB 2 from the end should be a sum with coefficients 0\.2 and 1, but is a sum of 2 \(coefficients 0\.5, 1\) from line \d+ \(Eltwise Add_\d+\)\.$/);
  });

  it('refuses a LeakyReLU slope other than 0.2', () => {
    const model = tinyRRDBNet();
    const e = error(() => load(editLine(model, lineOf(model, / 9=2 /), (l) => l.replace(/-23310=1,\S+/, '-23310=1,1.000000e-01'))));
    expect(e.message).toMatch(/should be a convolution followed by LeakyReLU\(0\.2\), but is an activation of slope 0\.1/);
  });

  it('refuses a dense block whose concatenation is in another order', () => {
    const model = tinyRRDBNet();
    const line = lineOf(model, /^Concat\s+\S+\s+2 1/);
    const e = error(() => load(editLine(model, line, (l) => l.replace(/2 1 (\S+) (\S+) /, '2 1 $2 $1 '))));
    expect(e.message).toMatch(/Read as RRDBNet, .* should be /);
  });
});

describe('ncnn SRVGGNetCompact → Real-ESRGAN state dict', () => {
  const variants: [string, Parameters<typeof tinySRVGG>[0], Record<string, unknown>][] = [
    ['per-channel PReLU, ×4 (realesr-general-x4v3)', {}, { scale: 4, numConv: 2, preluPerChannel: true }],
    ['float16 weights', { fp16: true }, { scale: 4 }],
    ['one shared PReLU slope, ×2', { act: 'prelu-shared', scale: 2 }, { scale: 2, preluPerChannel: false }],
    ['ReLU (as PReLU slopes 0), ×3', { act: 'relu', scale: 3 }, { scale: 3, preluPerChannel: true }],
    ['LeakyReLU(0.1) as PReLU slopes 0.1', { act: 'leaky' }, { scale: 4 }],
    ['no body convs, ×1 without shuffle or upsampling', { numConv: 0, scale: 1 }, { scale: 1, numConv: 0 }],
    ['one input channel, 6 features, 5 convs', { channels: 1, numFeat: 6, numConv: 5 }, { inChannels: 1, outChannels: 1, numFeat: 6, numConv: 5 }],
  ];
  for (const [what, options, info] of variants) {
    it(what, () => {
      const model = tinySRVGG(options);
      const { stateDict } = load(model);
      expectMapped(model, stateDict);
      expect(detectArchitecture(stateDict)).toMatchObject({ arch: 'SRVGGNetCompact', ...info });
    });
  }

  it('a PixelShuffle in TensorFlow order (mode 1) gets the last conv reordered to compute the same', () => {
    const model = tinySRVGG({ shuffleMode: 1, scale: 2 });
    const { stateDict } = load(model);
    const key = [...model.keys].at(-1)!;
    const ncnn = model.builder.convs.get((key[1] as { conv: string }).conv)!;
    const x = randomImage(ncnn.in, 5, 4, 9);
    const want = ncnnPixelShuffle(conv3x3(x, ncnn.weight, ncnn.bias!, ncnn.out), 2, 1);
    const got = torchPixelShuffle(conv3x3(x, stateDict.get(`${key[0]}.weight`)!.data, stateDict.get(`${key[0]}.bias`)!.data, ncnn.out), 2);
    expectSame(got, want);
  });

  it('refuses a shuffle and an upsampling of different factors', () => {
    const model = tinySRVGG({ scale: 2 });
    const e = error(() => load(editLine(model, lineOf(model, /^Interp/), (l) => l.replace(/2\.000000/g, '3.000000'))));
    expect(e.message).toMatch(/Read as SRVGGNetCompact, the body is pixel-shuffled by 2 but the input upsampled by 3/);
  });
});

describe('ncnn graphs wgsr does not run', () => {
  it('an unknown layer type is named with its line', () => {
    const model = tinySRVGG();
    const line = lineOf(model, /^PReLU/);
    const e = error(() => load(editLine(model, line, (l) => l.replace('PReLU', 'Deconvolution'))));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(new RegExp(`^tiny\\.param: ncnn layer Deconvolution at line ${line} is not supported\\. wgsr reads the ncnn form of RRDBNet and SRVGGNetCompact, made of Input, Split, Convolution`));
  });

  const refusals: [string, (m: TinyModel) => { param: Uint8Array; bin: Uint8Array }, RegExp][] = [
    ['a 1×1 convolution', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => l.replace(' 1=3 ', ' 1=1 ')), /a 1×1 convolution is not supported; RRDBNet and SRVGGNetCompact use 3×3/],
    ['a strided convolution', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => `${l} 3=2`), /a convolution with dilation 1×1 and stride 2×2 is not supported/],
    ['an unpadded convolution', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => l.replace(' 4=1 ', ' 4=0 ')), /a 3×3 convolution with padding 0, 0, 0, 0 is not supported/],
    ['an int8 convolution', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => `${l} 8=1`), /an int8-quantised convolution \(int8_scale_term\) is not supported/],
    ['a fused sigmoid', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => `${l} 9=4`), /a convolution with a fused Sigmoid is not supported/],
    ['weights that do not fit the input', (m) => editLine(m, lineOf(m, /^Convolution/), (l) => l.replace(/6=\d+/, '6=144')), /line \d+ \(Convolution Conv_0\): has weights for 4 input channels but its input has 3/],
    ['bilinear upsampling', (m) => editLine(m, lineOf(m, /^Interp/), (l) => l.replace('0=1', '0=2')), /Interp with resize_type 2 \(bilinear\) is not supported; only nearest/],
    ['upsampling to a fixed size', (m) => editLine(m, lineOf(m, /^Interp/), (l) => `${l} 3=64 4=64`), /Interp to a fixed or computed output size is not supported/],
    ['a fractional upsampling', (m) => editLine(m, lineOf(m, /^Interp/), (l) => l.replace(/4\.000000/g, '1.500000')), /Interp by 1\.5×1\.5 is not supported/],
    ['input normalisation (a scalar add)', (m) => editLine(m, lineOf(m, /^BinaryOp/), (l) => l.replace(/2 1 (\S+) (\S+) \S+ 0=0/, '1 1 $1 output 0=0 1=1 2=5.000000e-01')), /BinaryOp add with the scalar 0\.5 is not supported \(input normalisation/],
    ['a product of two blobs', (m) => editLine(m, lineOf(m, /^BinaryOp/), (l) => l.replace('0=0', '0=2')), /BinaryOp mul of two blobs is not supported; only add is/],
    ['a blob read before it is made', (m) => editLine(m, lineOf(m, /^PReLU/), (l) => l.replace(/1 1 (\S+) /, '1 1 output ')), /line \d+ \(PReLU PRelu_1\): reads blob "output", which no earlier layer produces/],
    ['a blob made twice', (m) => editLine(m, lineOf(m, /^PReLU/), (l) => l.replace(/1 1 (\S+) (\S+)/, '1 1 $1 data')), /produces blob "data", which line 3 \(Input input\.1\) already produced/],
    ['two outputs', (m) => editLine(m, lineOf(m, /^BinaryOp/), (l) => l.replace(/2 1 (\S+) (\S+) \S+ 0=0/, '1 1 $1 output 0=2 1=1 2=2.000000e+00')), /the ncnn graph has 2 outputs \("\d+_splitncnn_0" \(line \d+ \(Split splitncnn_0\)\)|the ncnn graph has 2 outputs/],
    ['a graph that ends in a concatenation', (m) => editLine(m, lineOf(m, /^BinaryOp/), (l) => l.replace(/BinaryOp(\s+)Add(\s+)2 1 (\S+) (\S+) \S+ 0=0/, 'Concat$1Add$22 1 $3 $4 output')), /this ncnn graph is neither RRDBNet nor SRVGGNetCompact: its output comes from line \d+ \(Concat Add\)/],
    [
      'an upsampling where an activation should be',
      (m) => editLine(m, lineOf(m, /^PReLU\s+PRelu_3/), (l) => l.replace(/^PReLU(.*) 0=\d+$/, 'Interp$1 0=1 1=1.000000 2=1.000000')),
      /Read as SRVGGNetCompact, layer 2 before the last conv should be an activation \(PReLU\), but is a nearest ×1 upsampling from line \d+ \(Interp PRelu_3\)\.$/,
    ],
    ['an output that is not the input plus the body', (m) => editLine(m, lineOf(m, /^Interp/), (l) => l.replace('Interp', 'PReLU').replace(/0=1 .*/, '0=1')), /Read as SRVGGNetCompact, neither term of the output is the input or its nearest upsampling/],
  ];
  for (const [what, edit, message] of refusals) {
    it(`refuses ${what} with a clear error`, () => {
      const e = error(() => load(edit(tinySRVGG())));
      expect(['UNSUPPORTED_MODEL', 'BAD_MODEL']).toContain(e.code);
      expect(e.message).toMatch(/^tiny\.param: /);
      expect(e.message).toMatch(message);
    });
  }

  it('a .bin that does not match the .param is named as the .bin', () => {
    const model = tinySRVGG();
    const e = error(() => loadNcnn(model.param, concat([model.bin, f32([1])]), 'x4.param'));
    expect(e.message).toMatch(/^x4\.bin: 4 bytes are left after the weights of the last layer of x4\.param/);
    expect(error(() => loadNcnn(model.param, model.bin.subarray(0, 100), 'x4.param')).message).toMatch(/^x4\.bin: the file ends inside/);
  });
});

// --- a reference for the channel orders, written from ncnn's and PyTorch's definitions ---------

type Chw = { c: number; h: number; w: number; data: Float32Array };

function randomImage(c: number, h: number, w: number, seed: number): Chw {
  const random = rng(seed);
  return { c, h, w, data: Float32Array.from({ length: c * h * w }, () => random() * 2 - 1) };
}

/** 3×3 convolution, zero padding 1, OIHW weights, in float64. */
function conv3x3(x: Chw, weight: ArrayLike<number>, bias: ArrayLike<number>, out: number): Chw {
  const { c, h, w } = x;
  const data = new Float32Array(out * h * w);
  for (let o = 0; o < out; o++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let sum = bias[o]!;
        for (let i = 0; i < c; i++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const sy = y + ky - 1;
              const sx = xx + kx - 1;
              if (sy >= 0 && sy < h && sx >= 0 && sx < w) sum += weight[((o * c + i) * 3 + ky) * 3 + kx]! * x.data[(i * h + sy) * w + sx]!;
            }
          }
        }
        data[(o * h + y) * w + xx] = sum;
      }
    }
  }
  return { c: out, h, w, data };
}

/** ncnn's Reorg::forward (src/layer/reorg.cpp). */
function ncnnReorg(x: Chw, s: number, mode: 0 | 1): Chw {
  const oh = x.h / s;
  const ow = x.w / s;
  const data = new Float32Array(x.data.length);
  for (let q = 0; q < x.c; q++) {
    for (let sh = 0; sh < s; sh++) {
      for (let sw = 0; sw < s; sw++) {
        const p = mode === 0 ? q * s * s + sh * s + sw : (sh * s + sw) * x.c + q;
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) data[(p * oh + i) * ow + j] = x.data[(q * x.h + i * s + sh) * x.w + j * s + sw]!;
      }
    }
  }
  return { c: x.c * s * s, h: oh, w: ow, data };
}

/** ncnn's PixelShuffle::forward (src/layer/pixelshuffle.cpp). */
function ncnnPixelShuffle(x: Chw, s: number, mode: 0 | 1): Chw {
  const outc = x.c / (s * s);
  const data = new Float32Array(x.data.length);
  for (let p = 0; p < outc; p++) {
    for (let sh = 0; sh < s; sh++) {
      for (let sw = 0; sw < s; sw++) {
        const q = mode === 0 ? p * s * s + sh * s + sw : (sh * s + sw) * outc + p;
        for (let i = 0; i < x.h; i++) for (let j = 0; j < x.w; j++) data[(p * x.h * s + i * s + sh) * x.w * s + j * s + sw] = x.data[(q * x.h + i) * x.w + j]!;
      }
    }
  }
  return { c: outc, h: x.h * s, w: x.w * s, data };
}

/** torch.nn.functional.pixel_unshuffle: x.view(C, H/s, s, W/s, s).permute(0, 2, 4, 1, 3). */
function torchPixelUnshuffle(x: Chw, s: number): Chw {
  const [oh, ow] = [x.h / s, x.w / s];
  const data = new Float32Array(x.data.length);
  let at = 0;
  for (let c = 0; c < x.c; c++) for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) data[at++] = x.data[(c * x.h + y * s + i) * x.w + xx * s + j]!;
  return { c: x.c * s * s, h: oh, w: ow, data };
}

/** torch.nn.functional.pixel_shuffle: x.view(C, s, s, H, W).permute(0, 3, 1, 4, 2). */
function torchPixelShuffle(x: Chw, s: number): Chw {
  const c = x.c / (s * s);
  const data = new Float32Array(x.data.length);
  let at = 0;
  for (let k = 0; k < c; k++) for (let y = 0; y < x.h; y++) for (let i = 0; i < s; i++) for (let xx = 0; xx < x.w; xx++) for (let j = 0; j < s; j++) data[at++] = x.data[((k * s * s + i * s + j) * x.h + y) * x.w + xx]!;
  return { c, h: x.h * s, w: x.w * s, data };
}

/** The same sums in another order: equal to float32 rounding. */
function expectSame(got: Chw, want: Chw): void {
  expect([got.c, got.h, got.w]).toEqual([want.c, want.h, want.w]);
  let max = 0;
  for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - want.data[i]!));
  expect(max).toBeLessThan(1e-5);
}
