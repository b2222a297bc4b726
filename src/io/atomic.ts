import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ioError } from './fs-errors.js';

/** Temp files being written now, so that an exit on a signal can remove them (removeTempFiles). */
const pending = new Set<string>();

/**
 * Writes `bytes` to a temp file in the same folder, then renames it over `path`: a reader never
 * sees half a file, and a failure leaves the old file (and no temp file) behind. The temp name
 * does not grow with the output's name (`.wgsr-<12 hex>.tmp`, 22 bytes), so any name the file
 * system allows for the output is also possible for its temp file.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const file = await openAtomic(path);
  try {
    await file.handle.writeFile(bytes);
  } catch (e) {
    await file.abort();
    throw ioError(e, `cannot write ${path}`);
  }
  await file.commit();
}

const tempPath = (path: string) => join(dirname(path), `.wgsr-${randomBytes(6).toString('hex')}.tmp`);

/** A file written piece by piece (a streamed PNG): `commit` renames it over the path, `abort` removes it. */
export interface AtomicFile {
  readonly handle: FileHandle;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * writeFileAtomic for a file written in pieces: the same temp name in the same folder, removed
 * on a signal (removeTempFiles) and on abort, renamed over `path` on commit.
 */
export async function openAtomic(path: string): Promise<AtomicFile> {
  const temp = tempPath(path);
  pending.add(temp);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx');
  } catch (e) {
    pending.delete(temp);
    throw ioError(e, `cannot write ${path}`);
  }
  let closed = false;
  const close = async () => {
    if (!closed) (closed = true), await handle.close();
  };
  return {
    handle,
    async commit() {
      try {
        await close();
        await rename(temp, path);
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        throw ioError(e, `cannot write ${path}`);
      } finally {
        pending.delete(temp);
      }
    },
    async abort() {
      await close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      pending.delete(temp);
    },
  };
}

/** Removes the temp files of writes still in progress; for a process about to exit. */
export function removeTempFiles(): void {
  for (const temp of pending) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
  }
  pending.clear();
}

/** Same path, or two names of one file (a link): compared by device and inode when both exist. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}
