import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { error } from '../helpers/errors.js';
import { SIGNATURE, chunk, concat, craftPng, ihdr } from './png-craft.js';

/**
 * The chunk layout of a PNG, checked before pngjs sees it: what PIL and libpng accept is
 * accepted, and damage is named by chunk and byte offset instead of pngjs's internal words
 * ("unrecognised content at end of stream", "have should not go down").
 */
const rgb = craftPng({ width: 5, height: 4, colorType: 2, bitDepth: 8, pixel: (x, y) => [x * 40, y * 50, 7] });
const pixels = decodeImage(rgb, 'rgb.png').data;
/** Offset of the first chunk of `type`. */
const find = (bytes: Uint8Array, type: string) => Buffer.from(bytes).indexOf(type) - 4;

describe('PNG chunk layout', () => {
  it('bytes after IEND are ignored, as libpng, PIL and ImageMagick do', () => {
    for (const tail of [Buffer.from('appended by some camera app'), new Uint8Array(1), chunk('IDAT', new Uint8Array(5))]) {
      const image = decodeImage(concat(rgb, tail), 'tail.png');
      expect(image.data).toEqual(pixels);
    }
  });

  it('a CRC error is named with its chunk and offset: IDAT, IHDR, an ancillary chunk', () => {
    const idat = find(rgb, 'IDAT');
    const badIdat = Uint8Array.from(rgb);
    badIdat[idat + 9]! ^= 0x01;
    expect(error(() => decodeImage(badIdat, 'idat.png')).message).toBe(`idat.png: corrupt PNG: CRC error in chunk IDAT at byte ${idat}; the file is damaged`);
    const badIhdr = Uint8Array.from(rgb);
    badIhdr[8 + 8 + 12]! ^= 0x01; // the interlace byte: still a valid value, so only the CRC tells
    expect(error(() => decodeImage(badIhdr, 'ihdr.png')).message).toBe('ihdr.png: corrupt PNG: CRC error in chunk IHDR at byte 8; the file is damaged');
    const text = chunk('tEXt', Buffer.from('Comment\0hello'));
    text[text.length - 1]! ^= 0xff;
    const withText = concat(rgb.subarray(0, 33), text, rgb.subarray(33));
    expect(error(() => decodeImage(withText, 'text.png')).message).toMatch(/CRC error in chunk tEXt at byte 33;/);
  });

  it('a second IHDR, or IDAT chunks that are not consecutive, say so', () => {
    const two = concat(rgb.subarray(0, 33), ihdr(5, 4, 8, 2), rgb.subarray(33));
    expect(error(() => decodeImage(two, 'two.png')).message).toBe('two.png: corrupt PNG: a second IHDR chunk at byte 33 (a PNG has at most one)');
    const rows = Buffer.alloc(4 * 16);
    const data = deflateSync(rows);
    const split = concat(SIGNATURE, ihdr(5, 4, 8, 2), chunk('IDAT', data.subarray(0, 10)), chunk('tEXt', Buffer.from('a\0b')), chunk('IDAT', data.subarray(10)), chunk('IEND', new Uint8Array(0)));
    expect(error(() => decodeImage(split, 'split.png')).message).toMatch(/^split\.png: corrupt PNG: the IDAT chunk at byte \d+ does not follow the other IDAT chunks/);
    // Consecutive IDAT chunks are the normal case and decode.
    const consecutive = concat(SIGNATURE, ihdr(5, 4, 8, 2), chunk('IDAT', data.subarray(0, 10)), chunk('IDAT', data.subarray(10)), chunk('IEND', new Uint8Array(0)));
    expect(decodeImage(consecutive, 'ok.png').data.every((v) => v === 0)).toBe(true);
  });

  it('a chunk type that is not four letters is named as damage at its offset', () => {
    const garbage = concat(rgb.subarray(0, 33), Uint8Array.of(0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0), rgb.subarray(33));
    expect(error(() => decodeImage(garbage, 'junk.png')).message).toBe('junk.png: corrupt PNG: no valid chunk at byte 33 (its type bytes are not letters)');
  });

  it('a decode over the memory budget is refused before inflating', () => {
    const big = craftPng({ width: 1000, height: 1000, colorType: 6, bitDepth: 16, pixel: () => [0, 0, 0, 0] });
    expect(error(() => decodeImage(big, 'big.png', { maxDecoderMemory: 2 ** 24 })).message).toMatch(/^big\.png: decoding this 1000×1000 PNG needs about 0\.03 GiB of memory, above the limit of 0\.02 GiB/);
  });
});
