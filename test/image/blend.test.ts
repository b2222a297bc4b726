import { describe, expect, it } from 'vitest';
import { axisWeights } from '../../src/image/blend.js';
import { axisSpans } from '../../src/image/tiles.js';
import { upscaleImage } from '../../src/image/upscale.js';
import type { Image } from '../../src/image/types.js';
import { rejection } from '../helpers/errors.js';
import { blurNetwork, nearestNetwork } from './fake-networks.js';
import { hashSample, makeImage, nearestUpscale } from './images.js';

const same = (a: Image, b: Image) => {
  expect([a.width, a.height, a.channels, a.bitDepth]).toEqual([b.width, b.height, b.channels, b.bitDepth]);
  // Exact: every sample must match (tolerance 0).
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
};
const image = (w: number, h: number, channels: Image['channels'] = 3, depth: 8 | 16 = 8) =>
  makeImage(w, h, channels, depth, (x, y, c) => hashSample(x, y, c, depth === 8 ? 255 : 65535));

describe('blend weights', () => {
  it('sum to one at every output sample, are never negative, and vanish outside the padded tile', () => {
    for (const [length, tile, pad, width, scale, multiple] of [
      [100, 30, 10, 20, 4, 1],
      [100, 30, 10, 7, 4, 1],
      [57, 8, 5, 10, 2, 2],
      [57, 8, 5, 3, 1, 4],
      [64, 64, 10, 20, 4, 1],
      [41, 5, 6, 12, 3, 1], // tiles narrower than the band: three tiles share some samples
    ] as const) {
      const spans = axisSpans(length, tile, pad, multiple);
      const sum = new Float64Array(length * scale);
      spans.forEach((span, i) => {
        const w = axisWeights(spans, i, width, scale);
        expect(w.length).toBe((span.paddedEnd - span.paddedStart) * scale);
        w.forEach((v, k) => {
          expect(v).toBeGreaterThanOrEqual(0);
          sum[span.paddedStart * scale + k]! += v;
        });
        // The outermost samples of a padded side that has a neighbour carry no weight.
        if (i > 0 && width < 2 * pad) expect(w[0]).toBe(0);
      });
      for (const s of sum) expect(Math.abs(s - 1)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('band width 0 is the crop: weight 1 on the tile, 0 on its pad', () => {
    const spans = axisSpans(20, 8, 3);
    const w = axisWeights(spans, 1, 0, 2);
    // Span 1: tile [8, 16), padded [5, 19): 3 pad pixels (6 samples) each side of 16 samples.
    expect(Array.from(w)).toEqual([...new Array(6).fill(0), ...new Array(16).fill(1), ...new Array(6).fill(0)]);
  });
});

describe('upscaleImage with tileBlend', () => {
  it('identity network: blended tiles give the nearest upscale exactly (RGB, gray+alpha, 16-bit, ×2 multiple, pre-pad)', async () => {
    const cases: [Image, Parameters<typeof nearestNetwork>[0], Parameters<typeof upscaleImage>[2]][] = [
      [image(23, 17), { scale: 4 }, { tile: 5, tilePad: 3, tileBlend: 6 }],
      [image(23, 17), { scale: 4 }, { tile: 7, tilePad: 4, tileBlend: true }],
      [image(19, 11, 2, 16), { scale: 3 }, { tile: 6, tilePad: 2, tileBlend: 3 }],
      [image(13, 9), { scale: 2, sizeMultiple: 2 }, { tile: 4, tilePad: 3, tileBlend: 5 }],
      [image(12, 10, 4), { scale: 2 }, { tile: 5, tilePad: 2, tileBlend: 4, prePad: 7 }],
    ];
    for (const [img, shape, opts] of cases) same(await upscaleImage(nearestNetwork(shape), img, opts), nearestUpscale(img, shape.scale));
  });

  it('a radius-1 network: blending inside the part of the pad each tile sees fully gives the untiled result exactly', async () => {
    const img = image(29, 21);
    const whole = await upscaleImage(blurNetwork({ scale: 2 }), img);
    // Pad 3: a tile's output is exact up to 2 pixels into its pad, so a band up to 4 wide is exact.
    const net = blurNetwork({ scale: 2 });
    same(await upscaleImage(net, img, { tile: 7, tilePad: 3, tileBlend: 4 }), whole);
    expect(net.calls.length).toBe(5 * 3);
    // A band reaching the pad's last pixel mixes in the zero-padded edge: no longer exact.
    const edge = await upscaleImage(blurNetwork({ scale: 2 }), img, { tile: 7, tilePad: 3, tileBlend: 6 });
    expect(Array.from(edge.data)).not.toEqual(Array.from(whole.data));
  });

  it('runs the same tiles as the crop (equal count, equal sizes), and 0 or false is the crop', async () => {
    const img = image(30, 20);
    const crop = nearestNetwork({ scale: 2 });
    const cropped = await upscaleImage(crop, img, { tile: 8, tilePad: 2 });
    const blend = nearestNetwork({ scale: 2 });
    await upscaleImage(blend, img, { tile: 8, tilePad: 2, tileBlend: 4 });
    expect(blend.calls.map((c) => [c.width, c.height])).toEqual(crop.calls.map((c) => [c.width, c.height]));
    same(await upscaleImage(blurNetwork({ scale: 2 }), img, { tile: 8, tilePad: 0, tileBlend: 0 }), await upscaleImage(blurNetwork({ scale: 2 }), img, { tile: 8, tilePad: 0 }));
    same(await upscaleImage(nearestNetwork({ scale: 2 }), img, { tile: 8, tilePad: 2, tileBlend: false }), cropped);
  });

  it('refuses a band wider than the overlap the tiles share', async () => {
    const r = await rejection(upscaleImage(nearestNetwork({ scale: 2 }), image(8, 8), { tile: 4, tilePad: 2, tileBlend: 5 }));
    expect(r.code).toBe('BAD_ARGUMENT');
    expect(r.message).toMatch(/2·tilePad = 4/);
  });
});
