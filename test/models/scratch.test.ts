import { describe, expect, it } from 'vitest';
import { newNetwork } from '../../src/models/scratch/index.js';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadModel } from '../../src/models/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';

function moments(data: Float32Array) {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of data) {
    sum += x;
    sq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / data.length;
  return { mean, std: Math.sqrt(sq / data.length - mean * mean), min, max };
}

describe('networks from scratch', () => {
  it('each architecture is detected with the sizes asked for, and loads from its safetensors file', () => {
    const cases = [
      { arch: 'srvgg', scale: 4, sizes: { numFeat: 16, numConv: 3 }, want: { arch: 'SRVGGNetCompact', scale: 4, numFeat: 16, numConv: 3, preluPerChannel: true } },
      { arch: 'srvgg', scale: 2, sizes: {}, want: { arch: 'SRVGGNetCompact', scale: 2, numFeat: 64, numConv: 16 } },
      { arch: 'edsr', scale: 3, sizes: { numFeat: 8, numBlock: 2 }, want: { arch: 'EDSR', scale: 3, numFeat: 8, numResBlocks: 2 } },
      { arch: 'rrdbnet', scale: 4, sizes: { numFeat: 8, numBlock: 1, numGrowCh: 4 }, want: { arch: 'RRDBNet', scale: 4, numFeat: 8, numBlock: 1, numGrowCh: 4 } },
      { arch: 'rrdbnet', scale: 2, sizes: { numFeat: 8, numBlock: 1, numGrowCh: 4 }, want: { arch: 'RRDBNet', scale: 2 } },
      { arch: 'srgan', scale: 4, sizes: { numFeat: 8, numResidual: 2 }, want: { arch: 'SRGAN', scale: 4, numFeat: 8, numResidual: 2, hasBatchNorm: true } },
    ];
    for (const c of cases) {
      const made = newNetwork(c.arch, c.scale, c.sizes, 0);
      expect(detectArchitecture(made.stateDict)).toMatchObject(c.want);
      const loaded = loadModel(writeSafetensors(made.stateDict), { modelOptions: made.modelOptions });
      expect(loaded.info.arch).toBe(c.want.arch);
    }
  });

  it("conv weights and biases follow PyTorch's kaiming_uniform_(a=√5): U(±1/√fan_in), std bound/√3", () => {
    const sd = newNetwork('srvgg', 4, { numFeat: 64, numConv: 2 }, 7).stateDict;
    const fanIn = 64 * 9;
    const bound = 1 / Math.sqrt(fanIn);
    const w = moments(sd.get('body.2.weight')!.data); // 64·576 = 36 864 samples
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThan(bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
    // std of U(−b, b) is b/√3; with n = 36 864 samples its relative standard error is ≈ 0.5 %.
    expect(Math.abs(w.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    expect(Math.abs(w.mean)).toBeLessThan(0.02 * bound);
    const b = moments(sd.get('body.2.bias')!.data);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    expect(b.max).toBeLessThan(bound);
    // The first conv has fan_in 3·9 = 27.
    expect(moments(sd.get('body.0.weight')!.data).max).toBeLessThan(1 / Math.sqrt(27));
    expect(moments(sd.get('body.0.weight')!.data).max).toBeGreaterThan(0.95 / Math.sqrt(27));
    expect([...sd.get('body.1.weight')!.data].every((x) => x === 0.25)).toBe(true);
  });

  it("RRDBNet's dense-block convs are BasicSR's kaiming_normal_ × 0.1 with zero bias; its other convs PyTorch's default", () => {
    const sd = newNetwork('rrdbnet', 4, { numFeat: 64, numBlock: 1, numGrowCh: 32 }, 3).stateDict;
    const fanIn = (64 + 4 * 32) * 9;
    const w = moments(sd.get('body.0.rdb2.conv5.weight')!.data); // 64·1728 samples
    expect(Math.abs(w.std / (0.1 * Math.sqrt(2 / fanIn)) - 1)).toBeLessThan(0.02);
    expect(Math.abs(w.mean)).toBeLessThan(0.02 * w.std);
    expect([...sd.get('body.0.rdb2.conv5.bias')!.data].every((x) => x === 0)).toBe(true);
    const first = moments(sd.get('conv_body.weight')!.data);
    expect(first.max).toBeLessThan(1 / Math.sqrt(64 * 9));
    expect(Math.abs(first.std / (1 / Math.sqrt(64 * 9 * 3)) - 1)).toBeLessThan(0.02);
  });

  it('BatchNorm starts as PyTorch constructs it, and the seed decides every value', () => {
    const sd = newNetwork('srgan', 2, { numFeat: 4, numResidual: 1 }, 1).stateDict;
    expect([...sd.get('blocks.0.bn1.weight')!.data]).toEqual([1, 1, 1, 1]);
    expect([...sd.get('blocks.0.bn1.running_var')!.data]).toEqual([1, 1, 1, 1]);
    expect(sd.get('blocks.0.bn1.num_batches_tracked')!.dtype).toBe('int64');
    const again = newNetwork('srgan', 2, { numFeat: 4, numResidual: 1 }, 1).stateDict;
    const other = newNetwork('srgan', 2, { numFeat: 4, numResidual: 1 }, 2).stateDict;
    expect(again.get('block_in.0.weight')!.data).toEqual(sd.get('block_in.0.weight')!.data);
    expect(other.get('block_in.0.weight')!.data).not.toEqual(sd.get('block_in.0.weight')!.data);
  });

  it('refuses sizes of another architecture and scales an architecture does not build', () => {
    expect(() => newNetwork('srvgg', 4, { numBlock: 3 }, 0)).toThrow(/--num-block does not apply to --arch srvgg \(it is for edsr, rrdbnet\)/);
    expect(() => newNetwork('edsr', 8, {}, 0)).toThrow(/--arch edsr builds scales ×2, ×3, ×4/);
    expect(() => newNetwork('vgg', 4, {}, 0)).toThrow(/--arch vgg: unknown/);
    expect(() => newNetwork('srvgg', 4, { numFeat: 0 }, 0)).toThrow(/--num-feat 0/);
  });
});
