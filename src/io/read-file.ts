import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WgsrError } from '../errors.js';
import { ioError } from './fs-errors.js';

/**
 * The one way wgsr reads an input (image or model): open, then check what was opened, then read
 * exactly the size the file system reported, never "until EOF".
 *
 * - Only a regular file is read. /dev/zero (or a link to it) never ends, a FIFO blocks until some
 *   other process writes, a socket or a terminal is not a file at all: each is refused by name.
 * - The file is opened non-blocking, so opening a FIFO returns at once instead of waiting for a
 *   writer; the check then looks at the opened descriptor (fstat), not at the path, so nothing
 *   can be swapped in between the check and the read.
 * - The read stops at the size fstat gave. A file that grows meanwhile is read to that size; one
 *   that shrinks is read to its new end (and then fails to decode, as a truncated file should).
 */

/** Larger than this cannot be held in one buffer; no image or model wgsr reads comes near it. */
export const MAX_FILE_BYTES = bufferConstants.MAX_LENGTH;

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads a whole regular file synchronously. `what` names the file in errors, as in
 * "cannot read <what>: …" ("the model m.pth", "photo.png").
 */
export function readRegularFileSync(path: string, what: string = path, maxBytes: number = MAX_FILE_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw ioError(e, `cannot read ${what}`);
  }
  try {
    const size = checkedSize(fstatSync(fd), path, what, maxBytes);
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, bytes, filled, size - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } catch (e) {
    throw e instanceof WgsrError ? e : ioError(e, `cannot read ${what}`);
  } finally {
    closeSync(fd);
  }
}

/** The same as readRegularFileSync, without blocking the event loop while the bytes arrive. */
export async function readRegularFile(path: string, what: string = path, maxBytes: number = MAX_FILE_BYTES): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw ioError(e, `cannot read ${what}`);
  }
  try {
    const size = checkedSize(await handle.stat(), path, what, maxBytes);
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } catch (e) {
    throw e instanceof WgsrError ? e : ioError(e, `cannot read ${what}`);
  } finally {
    await handle.close();
  }
}

/** Refuses anything but a regular file no larger than `maxBytes`; returns its size. */
function checkedSize(stats: Stats, path: string, what: string, maxBytes: number): number {
  if (!stats.isFile()) throw new WgsrError('IO', notRegularFile(path, what, stats));
  if (stats.size > maxBytes) {
    throw new WgsrError('IO', `cannot read ${what}: it is ${stats.size} bytes, more than the ${maxBytes} bytes wgsr reads from one file`);
  }
  return stats.size;
}

/** "cannot read <what>: it is a character device (/dev/zero), not a regular file". */
export function notRegularFile(path: string, what: string, stats: Stats): string {
  return `cannot read ${what}: ${kindOf(stats)}${linkTarget(path)}, not a regular file`;
}

/** What a non-regular file is, in words a user knows. */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'it is a folder';
  if (stats.isFIFO()) return 'it is a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'it is a character device';
  if (stats.isBlockDevice()) return 'it is a block device';
  if (stats.isSocket()) return 'it is a socket';
  return 'it is not a file';
}

/** " (/dev/zero)" when `path` is a link, so the message shows what it leads to. */
function linkTarget(path: string): string {
  try {
    const real = realpathSync(path);
    return real !== resolve(path) ? ` (${real})` : '';
  } catch {
    return '';
  }
}
