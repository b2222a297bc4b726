import { describe, expect, it } from 'vitest';
import { WgsrError } from '../../src/errors.js';
import type { SubmittedTile, TileNetwork } from '../../src/image/types.js';
import { upscaleImage } from '../../src/image/upscale.js';
import { blurNetwork } from './fake-networks.js';
import { hashSample, makeImage } from './images.js';
import { rejection } from '../helpers/errors.js';

/**
 * The pipelined tile loop of upscaleImage on a CPU network: the order in which tiles are
 * submitted, collected and discarded, and that overlapping changes no output byte.
 */

/** What the pipelined network saw, in order: `s3` = tile 3 submitted, `c3` collected, `d3` discarded. */
interface Pipelined extends TileNetwork {
  events: string[];
  /** Tiles submitted and neither collected nor discarded. */
  open: Set<number>;
  /** The most tiles open at once. */
  peak: number;
}

/** `net` with a `submit` that records events; `fail` makes a tile's submit or collect throw. */
function pipelined(net: TileNetwork, fail: { submit?: number; collect?: number } = {}): Pipelined {
  const p: Pipelined = {
    ...net,
    events: [],
    open: new Set(),
    peak: 0,
    submit: async (tile, height, width): Promise<SubmittedTile> => {
      const id = p.events.filter((e) => e.startsWith('s')).length;
      if (id === fail.submit) throw new WgsrError('NUMERIC', `submit of tile ${id} failed`);
      p.events.push(`s${id}`);
      p.open.add(id);
      p.peak = Math.max(p.peak, p.open.size);
      const output = net.forward(tile, height, width);
      return {
        collect: async () => {
          p.events.push(`c${id}`);
          p.open.delete(id);
          if (id === fail.collect) throw new WgsrError('NUMERIC', `tile ${id} failed`);
          return output;
        },
        discard: async () => {
          p.events.push(`d${id}`);
          p.open.delete(id);
        },
      };
    },
  };
  return p;
}

const rgba = (w: number, h: number, depth: 8 | 16) =>
  makeImage(w, h, 4, depth, (x, y, c) => hashSample(x, y, c, depth === 8 ? 255 : 65535));

describe('upscaleImage with a pipelined network', () => {
  it('submits tile i+1 before collecting tile i, never more than two in flight, and gives the same bytes as one tile at a time', async () => {
    for (const depth of [8, 16] as const) {
      // RGBA with a varying alpha: a colour pass and an alpha pass of 3×3 tiles each (18 tiles).
      const image = rgba(29, 21, depth);
      const net = pipelined(blurNetwork({ scale: 2 }));
      const progress: number[] = [];
      const got = await upscaleImage(net, image, { tile: 10, tilePad: 1, onProgress: (d) => progress.push(d) });
      const want = await upscaleImage(net, image, { tile: 10, tilePad: 1, overlap: false });
      // Exact: every sample (tolerance 0).
      expect(got.data).toEqual(want.data);
      expect(progress).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
      const order = ['s0', ...Array.from({ length: 17 }, (_, i) => [`s${i + 1}`, `c${i}`]).flat(), 'c17'];
      expect(net.events.slice(0, 36)).toEqual(order);
      // overlap: false went through forward only.
      expect(net.events).toHaveLength(36);
      expect(net.peak).toBe(2);
      expect(net.open.size).toBe(0);
    }
  });

  it('an abort with a tile in flight discards that tile and reports the tiles done', async () => {
    const controller = new AbortController();
    const net = pipelined(blurNetwork({ scale: 2 }));
    const r = await rejection(
      upscaleImage(net, rgba(20, 20, 8), { tile: 5, signal: controller.signal, onProgress: (done) => done === 2 && controller.abort() }),
    );
    expect(r).toEqual({ code: 'ABORTED', message: 'upscaling was aborted after 2 of 32 tiles' });
    // Tile 2 was submitted before tile 1 was collected (whose progress aborted): it is discarded, not collected.
    expect(net.events).toEqual(['s0', 's1', 'c0', 's2', 'c1', 'd2']);
    expect(net.open.size).toBe(0);
  });

  it('a failing collect or submit discards the other tile in flight, and the error is the one that failed', async () => {
    const collectFails = pipelined(blurNetwork({ scale: 2 }), { collect: 3 });
    expect(await rejection(upscaleImage(collectFails, rgba(20, 20, 8), { tile: 5 }))).toEqual({ code: 'NUMERIC', message: 'tile 3 failed' });
    expect(collectFails.events.slice(-3)).toEqual(['s4', 'c3', 'd4']);
    expect(collectFails.open.size).toBe(0);

    const submitFails = pipelined(blurNetwork({ scale: 2 }), { submit: 3 });
    expect(await rejection(upscaleImage(submitFails, rgba(20, 20, 8), { tile: 5 }))).toEqual({ code: 'NUMERIC', message: 'submit of tile 3 failed' });
    expect(submitFails.events.slice(-2)).toEqual(['c1', 'd2']);
    expect(submitFails.open.size).toBe(0);
  });

  it('the last tile of an image is collected, not left in flight', async () => {
    const net = pipelined(blurNetwork({ scale: 3 }));
    await upscaleImage(net, rgba(7, 5, 8), { tilePad: 2 });
    // Two passes of one whole-image tile each.
    expect(net.events).toEqual(['s0', 's1', 'c0', 'c1']);
  });
});
