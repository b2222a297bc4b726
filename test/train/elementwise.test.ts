import { describe, expect, it } from 'vitest';
import { activationBackward } from '../../src/kernels/activation-backward.js';
import { channelPartials, reduceChunks, reducePartials } from '../../src/kernels/channel-reduce.js';
import { gather } from '../../src/kernels/gather.js';
import { activationBackward as activationBackwardRef } from '../reference/activation-grad.js';
import { pixelShuffleBackward, pixelShuffleForward, pixelUnshuffleBackward, pixelUnshuffleForward } from '../reference/pixel-shuffle-grad.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';
import { upsampleNearestBackward, upsampleNearestForward } from '../reference/upsample-nearest-grad.js';
import { expectMatches, opFixture, type Tolerance } from '../train-reference/fixtures.js';
import { downloadArray, downloadBatch, emptyBatch, expectSentinelsOutside, imageRanges, limits, placeBatches, randomArray, rng, run, uploadArray, uploadBatch } from './harness.js';

/**
 * Element-wise backward kernels (f32) against PyTorch's float64 op fixtures and the float64 CPU
 * references. One f32 multiplication per element (or an exact move): |Δ| ≤ 1e-6·|ref| + 1e-7 of
 * the largest |ref| — 8× the f32 rounding of the result. Block sums add f² values: the same.
 */
const ELEMENT: Tolerance = { rtol: 1e-6, ofMax: 1e-7 };
/** tanh' from the input evaluates tanh on the GPU, which WGSL lets be a few ulp off: 4× ELEMENT. */
const TANH_FROM_INPUT: Tolerance = { rtol: 4e-6, ofMax: 4e-7 };
/** PReLU's slope gradient sums N·H·W products in f32: 2e-6 of the largest |ref| and of each. */
const SUM: Tolerance = { rtol: 2e-6, ofMax: 2e-6 };

const rand = (seed: number, n: number, c: number, h: number, w: number): Tensor4 => tensor4(n, c, h, w, randomArray(rng(seed), n * c * h * w));

describe('activation backward', () => {
  for (const name of ['relu', 'leaky_relu', 'tanh'] as const) {
    it(`${name} vs PyTorch (from the output where it suffices, and from the input)`, async () => {
      const f = opFixture(name);
      const act = name === 'leaky_relu' ? { kind: name, slope: 0.2 } : { kind: name };
      for (const savedIs of ['output', 'input'] as const) {
        const gx = await emptyBatch(...(f.npy('x').shape as [number, number, number, number]));
        await run(
          activationBackward({ activation: act, saved: await uploadBatch(f.t4(savedIs === 'output' ? 'y' : 'x')), savedIs, gy: await uploadBatch(f.t4('gy')), gx, accumulate: false }, await limits()),
        );
        expectMatches(`${name} gx from ${savedIs}`, await downloadBatch(gx), f.npy('gx').data, name === 'tanh' && savedIs === 'input' ? TANH_FROM_INPUT : ELEMENT);
      }
    });
  }

  it('prelu: gx and the slope gradient (per channel) vs PyTorch', async () => {
    const f = opFixture('prelu');
    const x = await uploadBatch(f.t4('x'));
    const gy = await uploadBatch(f.t4('gy'));
    const [n, c, h, w] = f.npy('x').shape as [number, number, number, number];
    const slopes = await uploadArray(f.npy('slope').data, 5);
    const gx = await emptyBatch(n, c, h, w);
    const chunks = reduceChunks(x).count;
    const partials = await uploadArray(new Float32Array(c * chunks));
    const out = await uploadArray(new Float32Array(c + 3));
    await run(
      activationBackward({ activation: { kind: 'prelu' }, saved: x, savedIs: 'input', gy, gx, accumulate: false, slopes: { buffer: slopes, offset: 0, count: c } }, await limits()),
      channelPartials({ mode: 'prelu_slope', a: gy, x, partials: { buffer: partials, offset: 0 } }, await limits()),
      reducePartials({ partials: { buffer: partials, offset: 0 }, groups: c, count: chunks, output: { buffer: out, offset: 2 } }, await limits()),
    );
    expectMatches('prelu gx', await downloadBatch(gx), f.npy('gx').data, ELEMENT);
    expectMatches('prelu gslope', await downloadArray(out, 2, c), f.npy('gslope').data, SUM);
  });

  it('prelu with one shared slope, accumulating into a channel slice of a larger batch (odd sizes)', async () => {
    const x = rand(1, 3, 5, 7, 9);
    const gy = rand(2, 3, 5, 7, 9);
    const before = rand(3, 3, 5, 7, 9);
    const slope = Float32Array.of(-0.3);
    // gx is channels 2..7 of a 9-channel batch, placed after 10 unused elements.
    const placed = await placeBatches(10 + 3 * 9 * 63, [{ t: before, offset: 10 + 2 * 63, stride: 9 * 63 }]);
    const gxRef = placed.refs[0]!;
    const xs = await uploadBatch(x);
    const chunks = reduceChunks(xs).count;
    const partials = await uploadArray(new Float32Array(5 * chunks));
    const out = await uploadArray(new Float32Array(1));
    await run(
      activationBackward(
        { activation: { kind: 'prelu' }, saved: xs, savedIs: 'input', gy: await uploadBatch(gy), gx: gxRef, accumulate: true, slopes: { buffer: await uploadArray(slope), offset: 0, count: 1 } },
        await limits(),
      ),
      channelPartials({ mode: 'prelu_slope', a: await uploadBatch(gy), x: xs, partials: { buffer: partials, offset: 0 } }, await limits()),
      reducePartials({ partials: { buffer: partials, offset: 0 }, groups: 1, count: 5 * chunks, output: { buffer: out, offset: 0 } }, await limits()),
    );
    const ref = activationBackwardRef(x, { kind: 'prelu', slopes: slope }, gy);
    expectMatches('shared prelu gx (accumulated)', await downloadBatch(gxRef), ref.gx.data.map((v, i) => v + before.data[i]!), ELEMENT);
    expectMatches('shared prelu gslope', await downloadArray(out, 0, 1), ref.gslopes!, SUM);
    await expectSentinelsOutside(placed.buffer, imageRanges(gxRef), 10 + 3 * 9 * 63);
  });

  it('refuses the output where the derivative needs the input', async () => {
    const t = await emptyBatch(1, 2, 3, 4);
    expect(() => activationBackward({ activation: { kind: 'leaky_relu', slope: -0.5 }, saved: t, savedIs: 'output', gy: t, gx: t, accumulate: false })).toThrow(/needs the activation's input/);
    expect(() => activationBackward({ activation: { kind: 'prelu' }, saved: t, savedIs: 'input', gy: t, gx: t, accumulate: false })).toThrow(/needs its slopes/);
  });
});

describe('gather: the backward of rearranging ops', () => {
  const cases = [
    { fixture: 'pixel_shuffle_r2', op: 'unshuffle', r: 2 },
    { fixture: 'pixel_shuffle_r3', op: 'unshuffle', r: 3 },
    { fixture: 'pixel_unshuffle_r2', op: 'shuffle', r: 2 },
    { fixture: 'upsample_nearest_x2', op: 'block_sum', r: 2 },
  ] as const;
  for (const { fixture, op, r } of cases) {
    it(`${fixture}: gx = ${op}(gy) vs PyTorch`, async () => {
      const f = opFixture(fixture);
      const gx = await emptyBatch(...(f.npy('x').shape as [number, number, number, number]));
      await run(gather({ op, src: await uploadBatch(f.t4('gy')), dst: gx, factor: r }, await limits()));
      expectMatches(`${fixture} gx`, await downloadBatch(gx), f.npy('gx').data, ELEMENT);
    });
  }

  it('forward rearrangements and scaled, accumulated copies vs the references (odd sizes, batch 2)', async () => {
    const x = rand(10, 2, 8, 6, 10);
    const lim = await limits();
    const checks: [string, Parameters<typeof gather>[0]['op'], number, Tensor4, Tensor4][] = [
      ['upsample ×3', 'upsample', 3, x, upsampleNearestForward(x, 3)],
      ['unshuffle ×2', 'unshuffle', 2, x, pixelUnshuffleForward(x, 2)],
      ['shuffle ×2', 'shuffle', 2, x, pixelShuffleForward(x, 2)],
      ['block sum ×2', 'block_sum', 2, x, upsampleNearestBackward(x, 2)],
      ['shuffle backward', 'unshuffle', 2, x, pixelShuffleBackward(x, 2)],
      ['unshuffle backward', 'shuffle', 2, x, pixelUnshuffleBackward(x, 2)],
    ];
    for (const [what, op, r, src, want] of checks) {
      const dst = await emptyBatch(want.n, want.c, want.h, want.w);
      await run(gather({ op, src: await uploadBatch(src), dst, factor: r }, lim));
      expectMatches(what, await downloadBatch(dst), want.data, ELEMENT);
    }
    const before = rand(11, 2, 8, 6, 10);
    const dst = await uploadBatch(before);
    await run(gather({ op: 'block_sum', src: await uploadBatch(x), dst, factor: 1, scale: 0.2, accumulate: true }, lim));
    expectMatches('0.2·x accumulated', await downloadBatch(dst), x.data.map((v, i) => 0.2 * v + before.data[i]!), ELEMENT);
    await run(gather({ op: 'zero', src: dst, dst, factor: 1 }, lim));
    expect([...(await downloadBatch(dst))].every((v) => v === 0)).toBe(true);
  });

  it('refuses shapes that do not match and sources that overlap the destination', async () => {
    const a = await emptyBatch(1, 4, 4, 4);
    expect(() => gather({ op: 'block_sum', src: a, dst: a, factor: 2 })).toThrow(/source is \[1, 4, 4, 4\] but what the 4×4×4 destination needs is \[1, 4, 8, 8\]/);
    expect(() => gather({ op: 'unshuffle', src: a, dst: { ...a, channels: 3 }, factor: 2 })).toThrow(/not a multiple of 4/);
  });
});
