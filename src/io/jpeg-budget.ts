import { WgsrError } from '../errors.js';
import type { JpegHeader } from './jpeg-header.js';

/**
 * What a JPEG's frame header commits a decoder to, checked against what the file can hold before
 * jpeg-js allocates anything. jpeg-js allocates one coefficient block per 8×8 pixels of every
 * component as soon as it reads the frame header, then fills them from the scans; a 700-byte
 * file whose header says 20000×20000 would make it allocate gigabytes before it finds the data
 * missing. Two checks stop that: the scans must be large enough to code every block at all, and
 * the memory the decode will take must fit the budget (limits.ts).
 */

/**
 * The fewest bits any Huffman-coded JPEG spends on one 8×8 block, over all its scans.
 * Sequential (SOF0/SOF1): every block codes its DC difference (a Huffman code, at least 1 bit)
 * and then either an end-of-block code (at least 1 bit) or coefficients up to the 63rd (at
 * least one code of at least 1 bit): 2 bits. Progressive (SOF2): the AC scans can cover up to
 * 32767 blocks with one end-of-band run, so only the DC scan is certain to spend a Huffman code
 * (at least 1 bit) on every block: 1 bit.
 */
function minimumBitsPerBlock(header: JpegHeader): number {
  return header.progressive ? 1 : 2;
}

/**
 * 8×8 blocks of each component as a non-interleaved scan codes them (ITU T.81 A.1.1: the
 * component is ⌈X·Hi/Hmax⌉ × ⌈Y·Vi/Vmax⌉ samples). An interleaved scan codes at least these.
 */
function codedBlocks(header: JpegHeader): number {
  const maxH = Math.max(...header.sampling.map((s) => s.h));
  const maxV = Math.max(...header.sampling.map((s) => s.v));
  let blocks = 0;
  for (const { h, v } of header.sampling) {
    blocks += Math.ceil(Math.ceil((header.width * h) / maxH) / 8) * Math.ceil(Math.ceil((header.height * v) / maxV) / 8);
  }
  return blocks;
}

/**
 * Bytes of entropy-coded data in all scans after the frame header: from the end of each SOS
 * segment to the next marker that is not a restart marker (stuffed 0xFF00 bytes and restart
 * markers are counted, which only makes the check more lenient). Walks leniently: jpeg-js
 * reports structural damage itself; this only has to never count more data than the file has.
 */
export function entropyCodedBytes(bytes: Uint8Array, from: number): number {
  let total = 0;
  let at = from;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) {
      at++;
      continue;
    }
    const marker = bytes[at + 1]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (at + 4 > bytes.length) break;
    const next = at + 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
    if (marker !== 0xda) {
      at = next;
      continue;
    }
    let end = next;
    for (;;) {
      end = bytes.indexOf(0xff, end);
      if (end < 0 || end + 1 >= bytes.length) {
        end = bytes.length;
        break;
      }
      const after = bytes[end + 1]!;
      if (after === 0x00 || (after >= 0xd0 && after <= 0xd7)) end += 2; // stuffed byte, restart marker
      else if (after === 0xff) end += 1; // fill before a marker
      else break;
    }
    total += Math.max(0, Math.min(end, bytes.length) - next);
    at = end;
  }
  return total;
}

/** Refuses a JPEG whose scans are too small to code the blocks its frame header declares. */
export function checkEntropyDataSize(bytes: Uint8Array, header: JpegHeader, name: string): void {
  const bits = minimumBitsPerBlock(header);
  const needed = Math.ceil((codedBlocks(header) * bits) / 8);
  const present = entropyCodedBytes(bytes, header.end);
  if (present < needed) {
    throw new WgsrError(
      'BAD_IMAGE',
      `${name}: corrupt or truncated JPEG: its compressed image data is ${present} bytes, but ${header.width}×${header.height} ` +
        `pixels need at least ${needed} (every 8×8 block of a ${header.progressive ? 'progressive' : 'baseline'} JPEG takes ` +
        `at least ${bits} bit${bits > 1 ? 's' : ''}); the file is damaged or hostile`,
    );
  }
}

/**
 * An Int32Array(64), jpeg-js's coefficient block, costs 256 bytes of data plus the typed array,
 * its buffer and the allocator's bookkeeping: 650 bytes of resident memory, measured on Node 20
 * (V8 11) by allocating two million of them. jpeg-js counts only the 256.
 */
const BLOCK_BYTES = 650;
/** A Uint8Array object of one output line, beyond its samples. */
const LINE_OBJECT_BYTES = 200;

/**
 * Memory a jpeg-js decode of this frame takes: `estimate` in real bytes (checked against the
 * budget), and `counted` in jpeg-js's own units (what its maxMemoryUsageInMB compares against),
 * following its allocations: every component's blocks (whole MCUs), its output lines, the
 * interleaved samples (getData), the RGB image, and our one-channel copy of a gray image.
 */
export function jpegDecoderMemory(header: JpegHeader): { estimate: number; counted: number } {
  const { width, height, sampling } = header;
  const maxH = Math.max(...sampling.map((s) => s.h));
  const maxV = Math.max(...sampling.map((s) => s.v));
  const mcusPerLine = Math.ceil(width / 8 / maxH);
  const mcusPerColumn = Math.ceil(height / 8 / maxV);
  let estimate = 0;
  let counted = 0;
  for (const { h, v } of sampling) {
    const blocks = mcusPerLine * h * mcusPerColumn * v;
    const lines = Math.ceil((Math.ceil(height / 8) * v) / maxV) * 8;
    const samplesPerLine = Math.ceil((Math.ceil(width / 8) * h) / maxH) * 8;
    counted += blocks * 256 + samplesPerLine * lines;
    estimate += blocks * BLOCK_BYTES + (samplesPerLine + LINE_OBJECT_BYTES) * lines;
  }
  const pixels = width * height;
  const output = pixels * sampling.length + pixels * 3;
  counted += output;
  estimate += output + (sampling.length === 1 ? pixels : 0);
  return { estimate, counted };
}
