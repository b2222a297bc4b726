import { describe, expect, it } from 'vitest';
import { upscaleImage } from '../../src/image/upscale.js';
import type { Image, RowSink, UpscaleOptions } from '../../src/image/types.js';
import { blurNetwork } from './fake-networks.js';
import { hashSample, makeImage } from './images.js';

/** A RowSink that checks the order of the bands and puts them together again. */
function collecting(): RowSink & { image(): Image; bands: number; begins: number } {
  let out: Image | undefined;
  let next = 0;
  const sink = {
    bands: 0,
    begins: 0,
    begin(header: { width: number; height: number; channels: Image['channels']; bitDepth: 8 | 16 }) {
      sink.begins++;
      next = 0;
      const size = header.width * header.height * header.channels;
      out = { ...header, data: header.bitDepth === 8 ? new Uint8Array(size) : new Uint16Array(size) } as Image;
    },
    rows(band: Image, y0: number) {
      expect(y0).toBe(next);
      expect(band.width).toBe(out!.width);
      expect(band.data.length).toBe(band.width * band.height * band.channels);
      out!.data.set(band.data, y0 * out!.width * out!.channels);
      next += band.height;
      sink.bands++;
    },
    image() {
      expect(next).toBe(out!.height);
      return out!;
    },
  };
  return sink;
}

/**
 * The streamed output (UpscaleOptions.rows) is the whole-image output, sample for sample: every
 * image layout, both bit depths, alpha by the network, by resize and opaque, crop and blend,
 * pre-pad, outscale up and down, a 1-channel network (a pass per channel).
 */
describe('streamed output: the same samples as the whole image', () => {
  const cases: { name: string; channels: Image['channels']; bitDepth: 8 | 16; options: UpscaleOptions; netChannels?: number; opaque?: boolean }[] = [
    { name: 'RGB 8-bit', channels: 3, bitDepth: 8, options: { tile: 8 } },
    { name: 'RGB 16-bit, tile blend', channels: 3, bitDepth: 16, options: { tile: 8, tilePad: 4, tileBlend: 6 } },
    { name: 'RGBA 8-bit, alpha by the network', channels: 4, bitDepth: 8, options: { tile: 7 } },
    { name: 'RGBA 16-bit, alpha resized', channels: 4, bitDepth: 16, options: { tile: 9, alpha: 'resize' } },
    { name: 'RGBA 8-bit, opaque alpha', channels: 4, bitDepth: 8, options: { tile: 8 }, opaque: true },
    { name: 'gray 8-bit', channels: 1, bitDepth: 8, options: { tile: 6 } },
    { name: 'gray+alpha 16-bit, pre-pad', channels: 2, bitDepth: 16, options: { tile: 8, prePad: 3 } },
    { name: 'RGB 8-bit, outscale 3.3 (from ×2)', channels: 3, bitDepth: 8, options: { tile: 8, outscale: 3.3 } },
    { name: 'RGBA 16-bit, outscale 0.7, alpha resized', channels: 4, bitDepth: 16, options: { tile: 10, outscale: 0.7, alpha: 'resize' } },
    { name: 'RGB 8-bit, 1-channel network (three passes), blend', channels: 3, bitDepth: 8, options: { tile: 8, tileBlend: true }, netChannels: 1 },
    { name: 'RGB 8-bit, one tile', channels: 3, bitDepth: 8, options: {} },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const max = c.bitDepth === 8 ? 255 : 65535;
      const alpha = c.channels === 2 || c.channels === 4 ? c.channels - 1 : -1;
      const image = makeImage(29, 23, c.channels, c.bitDepth, (x, y, k) => (k === alpha && c.opaque ? max : hashSample(x, y, k, max)));
      const net = () => blurNetwork({ scale: 2, channels: c.netChannels ?? 3 });
      const whole = await upscaleImage(net(), image, c.options);
      const sink = collecting();
      const streamed = await upscaleImage(net(), image, { ...c.options, rows: sink });
      expect(streamed.data.length).toBe(0);
      expect([streamed.width, streamed.height]).toEqual([whole.width, whole.height]);
      const got = sink.image();
      expect(got.data).toEqual(whole.data);
      expect(sink.begins).toBe(1);
      if (c.options.tile && !c.options.outscale) expect(sink.bands).toBeGreaterThan(1);
    });
  }
});
