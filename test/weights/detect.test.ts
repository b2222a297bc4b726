import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectEDSR } from '../../src/models/edsr.js';
import { detectArchitecture } from '../../src/models/registry.js';
import { detectRRDBNet } from '../../src/models/rrdbnet.js';
import { detectSRGAN } from '../../src/models/srgan.js';
import { detectSRVGGNetCompact } from '../../src/models/srvgg.js';
import { loadWeights } from '../../src/weights/load.js';
import type { StateDict } from '../../src/weights/types.js';
import { error } from '../helpers/errors.js';

type Shapes = [string, number[]][];

/** Zero-filled tensors of the given shapes, except `fill`, and MeanShift weights (the identity). */
function stateDict(shapes: Shapes, fill: Record<string, number[]> = {}): StateDict {
  fill = { 'sub_mean.weight': [1, 0, 0, 0, 1, 0, 0, 0, 1], 'add_mean.weight': [1, 0, 0, 0, 1, 0, 0, 0, 1], ...fill };
  return new Map(
    shapes.map(([key, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = fill[key] && fill[key]!.length === n ? Float32Array.from(fill[key]!) : new Float32Array(n);
      return [key, { shape, data, dtype: key.endsWith('num_batches_tracked') ? 'int64' : 'float32' }];
    }),
  );
}

const conv = (name: string, out: number, inp: number, k = 3): Shapes => [
  [`${name}.weight`, [out, inp, k, k]],
  [`${name}.bias`, [out]],
];

function rrdbnet(o: { nf: number; gc: number; nb: number; firstIn: number; out?: number; layout?: 'basicsr' | 'esrgan2018' }): Shapes {
  const out = o.out ?? 3;
  const old = o.layout === 'esrgan2018';
  const rdb = (b: number, r: number, j: number) => (old ? `model.1.sub.${b}.RDB${r}.conv${j}.0` : `body.${b}.rdb${r}.conv${j}`);
  const shapes: Shapes = [...conv(old ? 'model.0' : 'conv_first', o.nf, o.firstIn)];
  for (let b = 0; b < o.nb; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let j = 1; j <= 5; j++) shapes.push(...conv(rdb(b, r, j), j === 5 ? o.nf : o.gc, o.nf + (j - 1) * o.gc));
    }
  }
  const names = old ? [`model.1.sub.${o.nb}`, 'model.3', 'model.6', 'model.8'] : ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr'];
  for (const n of names) shapes.push(...conv(n, o.nf, o.nf));
  shapes.push(...conv(old ? 'model.10' : 'conv_last', out, o.nf));
  return shapes;
}

function srvgg(o: { nf: number; numConv: number; inCh: number; lastOut: number; prelu?: number }): Shapes {
  const shapes: Shapes = [...conv('body.0', o.nf, o.inCh), ['body.1.weight', [o.prelu ?? o.nf]]];
  for (let c = 1; c <= o.numConv; c++) shapes.push(...conv(`body.${2 * c}`, o.nf, o.nf), [`body.${2 * c + 1}.weight`, [o.prelu ?? o.nf]]);
  shapes.push(...conv(`body.${2 * o.numConv + 2}`, o.lastOut, o.nf));
  return shapes;
}

function edsr(o: { nf: number; nres: number; stages: number[]; meanShift?: boolean }): Shapes {
  const shapes: Shapes = o.meanShift === false ? [] : [...conv('sub_mean', 3, 3, 1)];
  shapes.push(...conv('head.0', o.nf, 3));
  for (let i = 0; i < o.nres; i++) shapes.push(...conv(`body.${i}.body.0`, o.nf, o.nf), ...conv(`body.${i}.body.2`, o.nf, o.nf));
  shapes.push(...conv(`body.${o.nres}`, o.nf, o.nf));
  o.stages.forEach((r, s) => shapes.push(...conv(`tail.0.${2 * s}`, r * r * o.nf, o.nf)));
  shapes.push(...conv('tail.1', 3, o.nf));
  if (o.meanShift !== false) shapes.push(...conv('add_mean', 3, 3, 1));
  return shapes;
}

function srgan(o: { nf: number; blocks: number; stages: number; bn: boolean; prelu?: number; counters?: boolean }): Shapes {
  const p = o.prelu ?? o.nf;
  const bn = (name: string): Shapes =>
    o.bn ? [...(['weight', 'bias', 'running_mean', 'running_var'] as const).map((k): [string, number[]] => [`${name}.${k}`, [o.nf]]), ...(o.counters === false ? [] : [[`${name}.num_batches_tracked`, []] as [string, number[]]])] : [];
  const shapes: Shapes = [...conv('block_in.0', o.nf, 3, 9), ['block_in.1.weight', [p]]];
  for (let i = 0; i < o.blocks; i++) shapes.push(...conv(`blocks.${i}.conv1`, o.nf, o.nf), ...bn(`blocks.${i}.bn1`), [`blocks.${i}.prelu.weight`, [p]], ...conv(`blocks.${i}.conv2`, o.nf, o.nf), ...bn(`blocks.${i}.bn2`));
  shapes.push(...conv('block_out.0', o.nf, o.nf), ...bn('block_out.1'));
  for (let j = 0; j < o.stages; j++) shapes.push(...conv(`upsample.${j}.conv`, 4 * o.nf, o.nf), [`upsample.${j}.prelu.weight`, [p]]);
  shapes.push(...conv(`upsample.${o.stages}`, 3, o.nf, 9));
  return shapes;
}

describe('RRDBNet detection', () => {
  it.each([
    [4, 3],
    [2, 12],
    [1, 48],
  ])('BasicSR layout, scale %i from conv_first\'s %i input channels', (scale, firstIn) => {
    const info = detectArchitecture(stateDict(rrdbnet({ nf: 8, gc: 4, nb: 2, firstIn })));
    expect(info).toMatchObject({ arch: 'RRDBNet', layout: 'basicsr', scale, inChannels: 3, outChannels: 3, numFeat: 8, numBlock: 2, numGrowCh: 4 });
  });

  it('reads num_grow_ch from the shapes (not the usual 32) and counts blocks from the keys', () => {
    const sd = stateDict(rrdbnet({ nf: 12, gc: 20, nb: 5, firstIn: 3 }));
    expect(detectRRDBNet(sd)).toMatchObject({ numFeat: 12, numGrowCh: 20, numBlock: 5 });
    expect(detectRRDBNet(sd)!.params).toBe([...sd.values()].reduce((a, t) => a + t.data.length, 0));
  });

  it('2018 ESRGAN layout, with one input channel (grayscale)', () => {
    expect(detectArchitecture(stateDict(rrdbnet({ nf: 8, gc: 4, nb: 3, firstIn: 1, out: 1, layout: 'esrgan2018' })))).toMatchObject({
      layout: 'esrgan2018',
      scale: 4,
      inChannels: 1,
      outChannels: 1,
      numBlock: 3,
    });
  });

  it('an inconsistent shape is an error naming the key', () => {
    const shapes = rrdbnet({ nf: 8, gc: 4, nb: 2, firstIn: 3 }).map(([k, s]): [string, number[]] => [k, k === 'body.1.rdb2.conv3.weight' ? [4, 15, 3, 3] : s]);
    const e = error(() => detectArchitecture(stateDict(shapes), 'bad.pth'));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toBe('bad.pth: looks like RRDBNet (BasicSR layout) but body.1.rdb2.conv3.weight has shape [4, 15, 3, 3] where the other tensors imply [4, 16, 3, 3].');
  });

  it('a missing upsampling conv is an error; an unknown extra key means an unsupported variant', () => {
    const missing = rrdbnet({ nf: 8, gc: 4, nb: 1, firstIn: 3 }).filter(([k]) => !k.startsWith('conv_up2'));
    expect(error(() => detectArchitecture(stateDict(missing))).message).toContain('lacks conv_up2.weight, conv_up2.bias');
    const extra: Shapes = [...rrdbnet({ nf: 8, gc: 4, nb: 1, firstIn: 3 }), ['conv_extra.weight', [8]]];
    expect(error(() => detectArchitecture(stateDict(extra))).code).toBe('UNSUPPORTED_MODEL');
    const x8: Shapes = [...rrdbnet({ nf: 8, gc: 4, nb: 1, firstIn: 3 }), ...conv('conv_up3', 8, 8)];
    expect(error(() => detectArchitecture(stateDict(x8))).message).toContain('conv_up3 (×8) is not supported');
  });
});

describe('SRVGGNetCompact detection', () => {
  it('realesr-animevideov3 sizes: 64 features, 16 convs, ×4, per-channel PReLU', () => {
    expect(detectArchitecture(stateDict(srvgg({ nf: 64, numConv: 16, inCh: 3, lastOut: 48 })))).toMatchObject({
      arch: 'SRVGGNetCompact',
      scale: 4,
      inChannels: 3,
      outChannels: 3,
      numFeat: 64,
      numConv: 16,
      preluPerChannel: true,
    });
  });

  it('scale from the last conv, a shared PReLU slope, and a grayscale model', () => {
    expect(detectSRVGGNetCompact(stateDict(srvgg({ nf: 8, numConv: 2, inCh: 3, lastOut: 12, prelu: 1 })))).toMatchObject({ scale: 2, preluPerChannel: false });
    expect(detectSRVGGNetCompact(stateDict(srvgg({ nf: 8, numConv: 1, inCh: 1, lastOut: 9 })))).toMatchObject({ scale: 3, inChannels: 1, outChannels: 1 });
  });

  it('refuses models without PReLU weights and final convs that are not channels × scale²', () => {
    const noPrelu = srvgg({ nf: 8, numConv: 1, inCh: 3, lastOut: 48 }).filter(([k]) => !/^body\.\d*[13579]\.weight$/.test(k) || k.startsWith('body.4'));
    expect(error(() => detectArchitecture(stateDict(noPrelu))).code).toBe('UNSUPPORTED_MODEL');
    expect(error(() => detectArchitecture(stateDict(srvgg({ nf: 8, numConv: 1, inCh: 3, lastOut: 50 })))).message).toContain('50 output channels');
  });
});

describe('EDSR detection', () => {
  it.each([
    [[2], 2],
    [[3], 3],
    [[2, 2], 4],
  ])('upsampler stages %j give scale %i', (stages, scale) => {
    expect(detectArchitecture(stateDict(edsr({ nf: 8, nres: 3, stages })))).toMatchObject({ arch: 'EDSR', scale, numFeat: 8, numResBlocks: 3, resScale: 1, rgbRange: 255 });
  });

  it('the 256-feature EDSR has res_scale 0.1; without MeanShift the DIV2K mean is assumed', () => {
    expect(detectEDSR(stateDict(edsr({ nf: 256, nres: 1, stages: [2], meanShift: false })))).toMatchObject({ resScale: 0.1, rgbMean: [0.4488, 0.4371, 0.404], rgbStd: [1, 1, 1] });
  });

  it('reads the mean and std back from add_mean', () => {
    const std = [0.5, 0.25, 2];
    const mean = [0.3, 0.4, 0.5];
    const weight = [1 / std[0]!, 0, 0, 0, 1 / std[1]!, 0, 0, 0, 1 / std[2]!];
    const bias = mean.map((m, c) => (255 * m) / std[c]!);
    const info = detectEDSR(stateDict(edsr({ nf: 8, nres: 1, stages: [2] }), { 'add_mean.weight': weight, 'add_mean.bias': bias }))!;
    // float32 storage of weight and bias: recovered to 1e-6 relative.
    info.rgbMean.forEach((m, c) => expect(Math.abs(m - mean[c]!)).toBeLessThan(1e-6));
    info.rgbStd.forEach((s, c) => expect(Math.abs(s - std[c]!)).toBeLessThan(1e-6));
  });

  it('refuses upsamplers EDSR-PyTorch does not build', () => {
    expect(error(() => detectArchitecture(stateDict(edsr({ nf: 8, nres: 1, stages: [3, 2] })))).message).toContain('stages ×3, ×2 is not supported');
  });
});

describe('SRGAN detection', () => {
  it('with BatchNorm, ×4', () => {
    expect(detectArchitecture(stateDict(srgan({ nf: 8, blocks: 3, stages: 2, bn: true })))).toMatchObject({
      arch: 'SRGAN',
      scale: 4,
      numFeat: 8,
      numResidual: 3,
      hasBatchNorm: true,
      preluPerChannel: true,
    });
  });

  it('without BatchNorm, ×2, shared PReLU slopes; num_batches_tracked may be absent', () => {
    expect(detectSRGAN(stateDict(srgan({ nf: 8, blocks: 1, stages: 1, bn: false, prelu: 1 })))).toMatchObject({ scale: 2, hasBatchNorm: false, preluPerChannel: false });
    expect(detectSRGAN(stateDict(srgan({ nf: 8, blocks: 1, stages: 3, bn: true, counters: false })))).toMatchObject({ scale: 8, hasBatchNorm: true });
  });

  it('counts parameters without the int64 BatchNorm counters', () => {
    const sd = stateDict(srgan({ nf: 4, blocks: 1, stages: 1, bn: true }));
    const floats = [...sd.entries()].filter(([k]) => !k.endsWith('num_batches_tracked')).reduce((a, [, t]) => a + t.data.length, 0);
    expect(detectSRGAN(sd)!.params).toBe(floats);
  });
});

describe('the registry', () => {
  it('each fixture is claimed by exactly one detector', () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
    for (const name of readdirSync(dir)) {
      const sd = loadWeights(readFileSync(path.join(dir, name, 'model.pth'))).stateDict;
      const claims = [detectRRDBNet, detectSRVGGNetCompact, detectEDSR, detectSRGAN].filter((d) => d(sd) !== null);
      expect(claims.length, name).toBe(1);
    }
  });

  it('anything else is UNSUPPORTED_MODEL, listing the first keys and the supported architectures', () => {
    const sd = stateDict([
      ['generator.conv_first.weight', [8, 3, 3, 3]],
      ['generator.conv_first.bias', [8]],
    ]);
    const e = error(() => detectArchitecture(sd, 'gan.ckpt'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toContain('gan.ckpt: unrecognised architecture. Its 2 tensors start with generator.conv_first.weight [8, 3, 3, 3], generator.conv_first.bias [8].');
    expect(e.message).toContain('RRDBNet');
    expect(e.message).toContain('SRVGGNetCompact');
    expect(e.message).toContain('EDSR');
    expect(e.message).toContain('SRGAN');
    expect(error(() => detectArchitecture(new Map())).message).toContain('(none)');
  });
});
