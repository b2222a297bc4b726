import { WgsrError } from '../errors.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** Formats we can name but not read, so the error says what the file is. */
const OTHER_FORMATS: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38])],
  ['BMP', (b) => startsWith(b, [0x42, 0x4d])],
  ['TIFF', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['QOI', (b) => startsWith(b, [0x71, 0x6f, 0x69, 0x66])],
];

/**
 * The format from the file's first bytes, never from its name: a PNG saved as .jpg is still
 * read as PNG, and a text file named .png is refused clearly.
 */
export function sniffFormat(bytes: Uint8Array, name: string): ImageFormat {
  if (bytes.length === 0) throw new WgsrError('BAD_IMAGE', `${name}: the file is empty`);
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes.subarray(8), [0x57, 0x45, 0x42, 0x50])) return 'webp';
  const other = OTHER_FORMATS.find(([, test]) => test(bytes));
  if (other) {
    throw new WgsrError('BAD_IMAGE', `${name}: this is a ${other[0]} image; only PNG, JPEG and WebP are supported (convert it first)`);
  }
  throw new WgsrError('BAD_IMAGE', `${name}: not a PNG, JPEG or WebP image (its first bytes match none of them)`);
}
