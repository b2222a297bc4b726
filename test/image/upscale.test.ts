import { describe, expect, it } from 'vitest';
import { upscaleImage } from '../../src/image/upscale.js';
import type { Image } from '../../src/image/types.js';
import { blurNetwork, nearestNetwork } from './fake-networks.js';
import { channel, hashSample, makeImage, nearestUpscale } from './images.js';
import { rejection } from '../helpers/errors.js';

const same = (a: Image, b: Image) => {
  expect([a.width, a.height, a.channels, a.bitDepth]).toEqual([b.width, b.height, b.channels, b.bitDepth]);
  expect(a.data.constructor).toBe(b.data.constructor);
  // Exact: every sample must match (tolerance 0).
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
};
const rgb = (w: number, h: number, depth: 8 | 16 = 8) => makeImage(w, h, 3, depth, (x, y, c) => hashSample(x, y, c, depth === 8 ? 255 : 65535));

describe('upscaleImage: tiling', () => {
  it('identity network (nearest ×4): the output is the nearest upscale, exactly, whole or tiled', async () => {
    const image = rgb(23, 17);
    for (const tile of [0, 5, 8, 64]) {
      const net = nearestNetwork({ scale: 4 });
      same(await upscaleImage(net, image, { tile, tilePad: 2 }), nearestUpscale(image, 4));
    }
  });

  it('a radius-1 network: tiled == untiled exactly with tilePad ≥ 1, and different with tilePad 0', async () => {
    const image = rgb(29, 21);
    const whole = await upscaleImage(blurNetwork({ scale: 2 }), image);
    const net = blurNetwork({ scale: 2 });
    same(await upscaleImage(net, image, { tile: 7, tilePad: 1 }), whole);
    expect(net.calls.length).toBe(Math.ceil(29 / 7) * Math.ceil(21 / 7));
    const seams = await upscaleImage(blurNetwork({ scale: 2 }), image, { tile: 7, tilePad: 0 });
    expect(Array.from(seams.data)).not.toEqual(Array.from(whole.data));
  });

  it('automatic tile size: the whole image in one call when it fits maxTileSide(), tiles of that side when not', async () => {
    const image = rgb(40, 30);
    const fits = nearestNetwork({ scale: 2, maxTileSide: 40 });
    await upscaleImage(fits, image);
    expect(fits.calls.map((c) => [c.width, c.height])).toEqual([[40, 30]]);
    const tight = nearestNetwork({ scale: 2, maxTileSide: 16 });
    same(await upscaleImage(tight, image, { tilePad: 3 }), nearestUpscale(image, 2));
    expect(tight.calls.length).toBe(3 * 2);
    for (const c of tight.calls) expect(Math.max(c.width, c.height)).toBeLessThanOrEqual(16 + 2 * 3);
  });

  it('automatic tile size with tileAlignment: a smaller side whose padded tiles need fewer of the network\'s blocks', async () => {
    // 120 px, tilePad 4, blocks of 32. Side 62: padded tiles 66 and 62 wide, 3 + 2 blocks per
    // axis. Side 60: 64 and 64, 2 + 2, the fewest any side from 31 to 62 gives (56: 60, 64, 12).
    const image = rgb(120, 120);
    const sizes = (net: { calls: { width: number; height: number }[] }) => net.calls.map((c) => `${c.width}×${c.height}`);
    const plain = nearestNetwork({ scale: 1, maxTileSide: 62 });
    await upscaleImage(plain, image, { tilePad: 4 });
    expect(sizes(plain)).toEqual(['66×66', '62×66', '66×62', '62×62']);
    const aligned = nearestNetwork({ scale: 1, maxTileSide: 62, tileAlignment: 32 });
    same(await upscaleImage(aligned, image, { tilePad: 4 }), image);
    expect(sizes(aligned)).toEqual(['64×64', '64×64', '64×64', '64×64']);
  });
});

describe('upscaleImage: pre-pad and mod-pad', () => {
  it('×2 network on an odd image: the network sees even sizes, the output is exactly 2w×2h', async () => {
    const image = rgb(13, 7);
    const net = nearestNetwork({ scale: 2, sizeMultiple: 2 });
    same(await upscaleImage(net, image), nearestUpscale(image, 2));
    expect(net.calls.map((c) => [c.width, c.height])).toEqual([[14, 8]]);
  });

  it('×1 network: padded to a multiple of 4, cropped back; odd tilePad still gives the network multiples of 4', async () => {
    const image = rgb(10, 9);
    const net = nearestNetwork({ scale: 1, sizeMultiple: 4 });
    same(await upscaleImage(net, image, { tile: 4, tilePad: 1 }), image);
    for (const c of net.calls) expect([c.width % 4, c.height % 4]).toEqual([0, 0]);
  });

  it('prePad reflects at the bottom/right and is cropped after: the network sees w+prePad, output is w·s×h·s', async () => {
    const image = rgb(11, 6);
    const net = nearestNetwork({ scale: 4 });
    same(await upscaleImage(net, image, { prePad: 10 }), nearestUpscale(image, 4));
    // prePad 10 > height 6: folds like numpy instead of failing.
    expect(net.calls.map((c) => [c.width, c.height])).toEqual([[21, 16]]);
    // The padded rows reflect: row 6 of the network input is row 4 of the image.
    const { tile } = net.calls[0]!;
    expect(tile[6 * 21 + 0]).toBe(Math.fround(image.data[(4 * 11 + 0) * 3]! / 255));
  });

  it('prePad with tiles: tiles wholly inside the pre-pad margin are skipped, the result is unchanged', async () => {
    const image = rgb(8, 8);
    const net = nearestNetwork({ scale: 2 });
    same(await upscaleImage(net, image, { prePad: 10, tile: 8, tilePad: 2 }), nearestUpscale(image, 2));
    expect(net.calls.length).toBe(1); // of the 3×3 grid over 18×18, only the tile at (0,0) is kept
  });
});

describe('upscaleImage: gray, alpha and 16-bit', () => {
  it('gray in → gray out: the network sees the plane on all three channels', async () => {
    const image = makeImage(9, 5, 1, 8, (x, y) => hashSample(x, y, 0, 255));
    const net = nearestNetwork({ scale: 2 });
    same(await upscaleImage(net, image), nearestUpscale(image, 2));
    const { tile, width, height } = net.calls[0]!;
    const plane = width * height;
    expect(Array.from(tile.subarray(0, plane))).toEqual(Array.from(tile.subarray(plane, 2 * plane)));
    expect(Array.from(tile.subarray(0, plane))).toEqual(Array.from(tile.subarray(2 * plane)));
  });

  it('gray output uses 0.299 R + 0.587 G + 0.114 B of the network output (cv2 BGR2GRAY on BGR data)', async () => {
    const image = makeImage(4, 3, 1, 8, () => 200);
    // R kept, G zeroed, B zeroed: gray = 0.299·200 = 59.8 → 60. With R and B swapped it would be 22.8 → 23.
    const out = await upscaleImage(nearestNetwork({ scale: 1, sizeMultiple: 4, gains: [1, 0, 0] }), image);
    expect(new Set(out.data)).toEqual(new Set([60]));
    const blueOnly = await upscaleImage(nearestNetwork({ scale: 1, sizeMultiple: 4, gains: [0, 0, 1] }), image);
    expect(new Set(blueOnly.data)).toEqual(new Set([23]));
  });

  it('RGBA with opaque alpha: alpha stays exactly 255 (and 65535 at 16 bits), the network never sees it', async () => {
    for (const depth of [8, 16] as const) {
      const max = depth === 8 ? 255 : 65535;
      const image = makeImage(12, 10, 4, depth, (x, y, c) => (c === 3 ? max : hashSample(x, y, c, max)));
      const net = nearestNetwork({ scale: 4, gains: [1.5, 1.5, 1.5] });
      const progress: number[][] = [];
      const out = await upscaleImage(net, image, { tile: 6, onProgress: (d, t) => progress.push([d, t]) });
      expect(new Set(channel(out, 3))).toEqual(new Set([max]));
      expect(net.calls.length).toBe(4);
      expect(progress).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    }
  });

  it("alpha 'network' runs the alpha plane through the network as gray; 'resize' is cv2 INTER_LINEAR", async () => {
    const image = makeImage(2, 1, 4, 8, (x, _y, c) => (c === 3 ? [0, 255][x]! : 100));
    const viaNet = nearestNetwork({ scale: 4 });
    const a = await upscaleImage(viaNet, image, { tilePad: 0 });
    expect(channel(a, 3).slice(0, 8)).toEqual([0, 0, 0, 0, 255, 255, 255, 255]);
    expect(viaNet.calls.length).toBe(2);
    const viaResize = nearestNetwork({ scale: 4 });
    const b = await upscaleImage(viaResize, image, { alpha: 'resize' });
    // cv2.resize(alpha, (8, 4), INTER_LINEAR): x = (i+0.5)/4 − 0.5 clamped at the edges,
    // then ·255 rounded: 0, 0, 0.125·255, 0.375·255, 0.625·255, 0.875·255, 255, 255.
    expect(channel(b, 3).slice(0, 8)).toEqual([0, 0, 32, 96, 159, 223, 255, 255]);
    expect(viaResize.calls.length).toBe(1);
    // Color is the network's in both modes.
    expect(channel(a, 0)).toEqual(channel(b, 0));
  });

  it('gray+alpha: both planes go through the network as gray images and come back as 2 channels', async () => {
    const image = makeImage(7, 6, 2, 16, (x, y, c) => hashSample(x, y, c, 65535));
    const net = nearestNetwork({ scale: 2 });
    same(await upscaleImage(net, image, { tile: 4 }), nearestUpscale(image, 2));
    expect(net.calls.length).toBe(2 * 4);
  });

  it('16-bit: /65535 in, ·65535 out; every value survives an identity network exactly', async () => {
    const image = makeImage(256, 256, 3, 16, (x, y, c) => (y * 256 + x + c * 21845) % 65536);
    same(await upscaleImage(nearestNetwork({ scale: 1, sizeMultiple: 4 }), image), image);
  });

  it('clamps network output to [0, 1] before quantising', async () => {
    const image = makeImage(3, 3, 3, 8, (_x, _y, c) => [10, 200, 128][c]!);
    const out = await upscaleImage(nearestNetwork({ scale: 2, gains: [-1, 2, 1] }), image);
    expect([channel(out, 0)[0], channel(out, 1)[0], channel(out, 2)[0]]).toEqual([0, 255, 128]);
  });
});

describe('upscaleImage: network conventions', () => {
  it('EDSR-style input range 255: the network gets the integers, its output is divided by 255', async () => {
    const image = rgb(5, 4);
    const net = nearestNetwork({ scale: 2, inputRange: 255 });
    same(await upscaleImage(net, image), nearestUpscale(image, 2));
    expect(net.calls[0]!.tile[0]).toBe(image.data[0]);
  });

  it('SRGAN-style outputToUnit maps tanh output (y+1)/2 before clamping', async () => {
    const image = makeImage(2, 2, 3, 8, () => 255);
    // Gains 0: the "tanh" output is 0 everywhere, which means mid-gray.
    const net = { ...nearestNetwork({ scale: 2, gains: [0, 0, 0] }), outputToUnit: (y: number) => (y + 1) / 2 };
    const out = await upscaleImage(net, image);
    expect(new Set(out.data)).toEqual(new Set([128])); // (0 + 1)/2 = 0.5 → 127.5 → 128 (half to even)
  });

  it('a 1-channel network upscales each color plane and the alpha plane on its own', async () => {
    const image = makeImage(6, 5, 4, 8, (x, y, c) => hashSample(x, y, c, 255));
    const net = nearestNetwork({ scale: 3, channels: 1 });
    same(await upscaleImage(net, image), nearestUpscale(image, 3));
    expect(net.calls.length).toBe(4);
  });

  it('refuses networks it cannot feed', async () => {
    const net = { ...nearestNetwork({ scale: 2 }), inChannels: 4 };
    expect((await rejection(upscaleImage(net, rgb(4, 4)))).code).toBe('UNSUPPORTED_MODEL');
  });
});

describe('upscaleImage: outscale', () => {
  it('resizes to int(w·outscale)×int(h·outscale) as Real-ESRGAN does (truncating)', async () => {
    const image = rgb(179, 31);
    const out = await upscaleImage(nearestNetwork({ scale: 4 }), image, { outscale: 3.5 });
    expect([out.width, out.height]).toEqual([626, 108]); // 626.5 → 626, 108.5 → 108
    const up = await upscaleImage(nearestNetwork({ scale: 2 }), rgb(10, 10), { outscale: 2.95 });
    expect([up.width, up.height]).toEqual([29, 29]);
  });

  it('outscale equal to the scale resamples nothing', async () => {
    const image = rgb(9, 9);
    same(await upscaleImage(nearestNetwork({ scale: 4 }), image, { outscale: 4 }), nearestUpscale(image, 4));
  });

  it('a constant image stays exactly constant through outscale (8 and 16 bits)', async () => {
    for (const depth of [8, 16] as const) {
      const v = depth === 8 ? 77 : 40000;
      const out = await upscaleImage(nearestNetwork({ scale: 4 }), makeImage(20, 13, 4, depth, () => v), { outscale: 1.7 });
      expect(new Set(out.data)).toEqual(new Set([v]));
    }
  });

  it('refuses an outscale that leaves no pixels', async () => {
    const r = await rejection(upscaleImage(nearestNetwork({ scale: 4 }), rgb(3, 3), { outscale: 0.2 }));
    expect(r.code).toBe('BAD_ARGUMENT');
    expect(r.message).toMatch(/outscale 0.2.*0×0/);
  });
});

describe('upscaleImage: progress, abort, bad input', () => {
  it('reports progress after every tile, alpha tiles included', async () => {
    const image = makeImage(10, 10, 4, 8, (x, y, c) => hashSample(x, y, c, 255));
    const progress: [number, number][] = [];
    await upscaleImage(nearestNetwork({ scale: 2 }), image, { tile: 5, onProgress: (d, t) => progress.push([d, t]) });
    expect(progress).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, 8]));
  });

  it('aborts between tiles with WgsrError ABORTED', async () => {
    const controller = new AbortController();
    const net = nearestNetwork({ scale: 2 });
    const p = upscaleImage(net, rgb(20, 20), {
      tile: 5,
      signal: controller.signal,
      onProgress: (done) => done === 2 && controller.abort(),
    });
    const r = await rejection(p);
    expect(r.code).toBe('ABORTED');
    expect(r.message).toMatch(/after 2 of 16 tiles/);
    expect(net.calls.length).toBe(2);
  });

  it('refuses malformed images with BAD_IMAGE and bad options with BAD_ARGUMENT', async () => {
    const net = nearestNetwork({ scale: 2 });
    const bad: [Image, RegExp][] = [
      [{ width: 0, height: 4, channels: 3, bitDepth: 8, data: new Uint8Array(0) }, /size 0×4/],
      [{ width: 2, height: 2, channels: 5 as 3, bitDepth: 8, data: new Uint8Array(20) }, /5 channels/],
      [{ width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(11) }, /11 values.*needs 12/],
      [{ width: 2, height: 2, channels: 3, bitDepth: 16, data: new Uint8Array(12) }, /16-bit image needs its data in a Uint16Array/],
    ];
    for (const [image, message] of bad) {
      const r = await rejection(upscaleImage(net, image));
      expect(r.code).toBe('BAD_IMAGE');
      expect(r.message).toMatch(message);
    }
    for (const options of [{ tile: -1 }, { tilePad: 1.5 }, { prePad: -2 }, { outscale: 0 }, { alpha: 'bicubic' as 'resize' }]) {
      expect((await rejection(upscaleImage(net, rgb(4, 4), options))).code).toBe('BAD_ARGUMENT');
    }
    expect(net.calls.length).toBe(0);
  });
});
