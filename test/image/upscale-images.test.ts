import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upscaleImages } from '../../src/image/upscale.js';
import type { Image, SubmittedTile } from '../../src/image/types.js';
import { ImageReplay } from '../../src/upscale-run.js';
import { createUpscaler } from '../../src/upscaler.js';
import { testDevice } from '../helpers/gpu.js';
import { nearestNetwork } from './fake-networks.js';
import { hashSample, makeImage, nearestUpscale } from './images.js';

const frame = (k: number) => makeImage(9, 7, 3, 8, (x, y, c) => hashSample(x + 31 * k, y, c, 255));

describe('upscaleImages: a sequence through one pipeline', () => {
  it('the next frame\'s first tile is submitted before the last tile of the frame before is collected', async () => {
    const events: string[] = [];
    const base = nearestNetwork({ scale: 2 });
    let n = 0;
    const net = {
      ...base,
      submit: async (tile: Float32Array, h: number, w: number): Promise<SubmittedTile> => {
        const id = n++;
        events.push(`submit ${id}`);
        const out = base.forward(tile, h, w);
        return { collect: async () => (events.push(`collect ${id}`), out), discard: async () => undefined };
      },
    };
    const frames = [frame(0), frame(1), frame(2)];
    const outs: Image[] = [];
    for await (const out of upscaleImages(net, frames, { tile: 5, tilePad: 1 })) {
      events.push('frame');
      outs.push(out);
    }
    // 2×2 tiles per frame: tile 4 (frame 1's first) goes in before tile 3 (frame 0's last) comes out.
    expect(events.slice(0, 10)).toEqual(['submit 0', 'submit 1', 'collect 0', 'submit 2', 'collect 1', 'submit 3', 'collect 2', 'submit 4', 'collect 3', 'frame']);
    expect(outs.map((o) => Array.from(o.data))).toEqual(frames.map((f) => Array.from(nearestUpscale(f, 2).data)));
  });

  it('a consumer that stops early leaves no tile in flight', async () => {
    const base = nearestNetwork({ scale: 2 });
    let open = 0;
    const net = {
      ...base,
      submit: async (tile: Float32Array, h: number, w: number): Promise<SubmittedTile> => {
        open++;
        const out = base.forward(tile, h, w);
        return { collect: async () => (open--, out), discard: async () => void open-- };
      },
    };
    for await (const _ of upscaleImages(net, [frame(0), frame(1), frame(2)], { tile: 5 })) break;
    expect(open).toBe(0);
  });
});

describe('ImageReplay', () => {
  it('a restart begins at the first image not delivered, then goes on with the source', async () => {
    async function* source() {
      for (let k = 0; k < 4; k++) yield frame(k);
    }
    const replay = new ImageReplay(source());
    const first: Image[] = [];
    for await (const img of replay.images()) {
      first.push(img);
      if (first.length === 1) replay.deliver();
      if (first.length === 3) break; // frames 1 and 2 were pulled, not delivered
    }
    const second: Image[] = [];
    for await (const img of replay.images()) {
      second.push(img);
      replay.deliver();
    }
    expect(second).toEqual([first[1], first[2], frame(3)]);
    expect(replay.delivered).toBe(4);
  });
});

describe('Upscaler.upscaleFrames', () => {
  it('gives each frame the bytes upscale() gives it, in order, with TTA and blended tiles too', async () => {
    const { device } = await testDevice();
    const up = await createUpscaler(readFileSync(new URL('../fixtures/models/srvgg_x4_tiny/model.pth', import.meta.url)), { device });
    try {
      const frames = [frame(0), frame(1), frame(2)];
      for (const opts of [{}, { tile: 4, tilePad: 2, tileBlend: true, tta: true }]) {
        const got: [number, Image][] = [];
        const count = await up.upscaleFrames(frames, async (img, i) => void got.push([i, img]), opts);
        expect(count).toBe(3);
        expect(got.map(([i]) => i)).toEqual([0, 1, 2]);
        for (const [i, img] of got) expect(Array.from(img.data)).toEqual(Array.from((await up.upscale(frames[i]!, opts)).data));
      }
    } finally {
      up.destroy();
    }
  });
});
