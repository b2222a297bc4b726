import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ioError } from './fs-errors.js';

/**
 * Writes `bytes` to `<path>.<random>.tmp` in the same folder, then renames it over `path`: a
 * reader never sees half a file, and a failure leaves the old file (and no temp file) behind.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw ioError(e, `cannot write ${path}`);
  }
}

/** Same path, or two names of one file (a link): compared by device and inode when both exist. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}
