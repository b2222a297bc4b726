import { readPngHeader } from './png-header.js';
import { readRegularFile } from './read-file.js';
import { sniffFormat } from './sniff.js';
import { readWebpHeader } from './webp-header.js';

/**
 * Whether the image at `path` decodes with an alpha channel, from its header alone (PNG color
 * type or tRNS, WebP's alpha flag; JPEG never). A file that cannot be read or parsed answers
 * false: decoding it later reports the problem properly.
 */
export async function probeAlpha(path: string): Promise<boolean> {
  try {
    const bytes = await readRegularFile(path);
    const format = sniffFormat(bytes, path);
    if (format === 'png') {
      const header = readPngHeader(bytes, path, () => undefined);
      return header.colorType === 4 || header.colorType === 6 || header.hasTransparency;
    }
    if (format === 'webp') return readWebpHeader(bytes, path).hasAlpha;
    return false;
  } catch {
    return false;
  }
}
