import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { error } from '../helpers/errors.js';
import { craftJpeg, sof } from './jpeg-craft.js';

/**
 * A JPEG's frame header commits jpeg-js to one coefficient block per 8×8 pixels before any data
 * is read. The decoder must refuse a header the file's data cannot back, and a decode whose
 * memory is over the budget, before allocating.
 */
describe('JPEG data size against the declared size', () => {
  it('the smallest valid files (1-bit codes) decode: 2 bits per block sequential, 1 bit progressive', () => {
    const cases = [
      { width: 64, height: 48 },
      { width: 61, height: 47, progressive: true },
      { width: 50, height: 30, sampling: [[2, 2], [1, 1], [1, 1]] as [number, number][] },
      { width: 50, height: 30, sampling: [[2, 1], [1, 1], [1, 1]] as [number, number][], progressive: true },
    ];
    for (const c of cases) {
      const image = decodeImage(craftJpeg(c), 'min.jpg');
      expect([image.width, image.height], JSON.stringify(c)).toEqual([c.width, c.height]);
      expect(image.data.every((v) => v === 128), JSON.stringify(c)).toBe(true);
    }
  });

  it('one byte less than the smallest possible data is refused, naming both sizes', () => {
    expect(error(() => decodeImage(craftJpeg({ width: 64, height: 48, shortBy: 1 }), 'short.jpg')).message).toBe(
      'short.jpg: corrupt or truncated JPEG: its compressed image data is 11 bytes, but 64×48 pixels need at least 12 ' +
        '(every 8×8 block of a baseline JPEG takes at least 2 bits); the file is damaged or hostile',
    );
    expect(error(() => decodeImage(craftJpeg({ width: 61, height: 47, progressive: true, shortBy: 1 }), 'p.jpg')).message).toMatch(
      /data is 5 bytes, but 61×47 pixels need at least 6 \(every 8×8 block of a progressive JPEG takes at least 1 bit\)/,
    );
  });

  it('a real encoder\'s JPEG whose frame header is raised to 4000×4000 is refused without allocating for it', () => {
    const small = jpeg.encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(90) }, 90).data;
    const bomb = Uint8Array.from(small);
    let at = 2;
    while (bomb[at + 1] !== 0xc0) at += 2 + ((bomb[at + 2]! << 8) | bomb[at + 3]!);
    bomb.set([4000 >> 8, 4000 & 255, 4000 >> 8, 4000 & 255], at + 5);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(error(() => decodeImage(bomb, 'bomb.jpg')).message).toMatch(/^bomb\.jpg: corrupt or truncated JPEG: its compressed image data is \d+ bytes, but 4000×4000 pixels need at least 187500 /);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });
});

describe('JPEG decoder memory', () => {
  it('a decode over the budget is refused before it starts, with the estimate and the way to raise it', () => {
    const file = craftJpeg({ width: 2048, height: 2048 });
    // 65536 blocks · 650 B + 2048² · (1 + 1 + 3 + 1) B ≈ 66 MiB
    const e = error(() => decodeImage(file, 'wide.jpg', { maxDecoderMemory: 32 * 2 ** 20 }));
    expect(e.message).toMatch(/^wide\.jpg: decoding this 2048×2048 JPEG needs about 0\.06 GiB of memory, above the limit of 0\.03 GiB; .*--max-decoder-memory/);
    expect(decodeImage(file, 'wide.jpg', { maxDecoderMemory: 96 * 2 ** 20 }).width).toBe(2048);
  });

  it("jpeg-js's own limit is what this frame needs: a second, larger frame header is stopped before its allocation", () => {
    // The header reader sees the 64×48 frame; jpeg-js would then allocate again for 8000×8000
    // (a million blocks, ~650 MB), which its memory limit, sized for 64×48, refuses.
    const file = craftJpeg({ width: 64, height: 48, extra: [sof(0xc0, 8000, 8000, [[1, 1]])] });
    const before = process.memoryUsage().arrayBuffers;
    expect(error(() => decodeImage(file, 'two-frames.jpg')).message).toMatch(/^two-frames\.jpg: corrupt or truncated JPEG \(maxMemoryUsageInMB limit exceeded/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });
});
