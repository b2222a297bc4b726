import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Where a path really leads, so that two spellings of one file compare equal before anything is
 * written: links are followed (a folder reached through a symlink is the same folder), and a
 * name is compared case-insensitively where the folder's file system folds case (macOS, Windows,
 * ext4 casefold folders), which is found out by probing, not assumed from the platform.
 */

export interface PathIdentity {
  /** The real folder (links resolved) and the name in it, as given. */
  dir: string;
  name: string;
  /** Whether `dir` treats names that differ only in case as one. */
  folds: boolean;
  /** Device and inode of the file, when it exists: catches hard links. */
  inode?: string;
}

/** The comparison key: equal keys are one file. */
export function identityKey(id: PathIdentity): string {
  return join(id.dir, id.folds ? id.name.toLowerCase() : id.name);
}

/** The identity of `path`, whose folder (or some ancestor of it) exists. */
export function pathIdentity(path: string, foldsCase: (dir: string) => boolean = probeFoldsCase): PathIdentity {
  const full = resolve(path);
  const parent = dirname(full);
  const existing = nearestExisting(parent);
  const dir = join(realpathSync(existing), parent.slice(existing.length));
  const id: PathIdentity = { dir, name: basename(full), folds: foldsCase(existing) };
  try {
    const s = statSync(full);
    id.inode = `${s.dev}:${s.ino}`;
  } catch {
    // not there yet
  }
  return id;
}

/** Whether two folder paths lead to one folder (links followed; names compared as given). */
export function sameFolder(a: string, b: string): boolean {
  return identityKey(pathIdentity(join(a, 'x'), () => false)) === identityKey(pathIdentity(join(b, 'x'), () => false));
}

/** The closest folder at or above `dir` that exists. */
export function nearestExisting(dir: string): string {
  let at = resolve(dir);
  for (;;) {
    try {
      if (statSync(at).isDirectory()) return at;
    } catch {
      // keep climbing
    }
    const up = dirname(at);
    if (up === at) return at;
    at = up;
  }
}

const probed = new Map<string, boolean>();

/**
 * Whether names in `dir` fold case. First by asking about an entry already there (its name with
 * the case of its letters swapped: the same file means folding); in a folder without one, by
 * creating a probe file and looking it up in upper case. The answer is cached per real folder.
 */
export function probeFoldsCase(dir: string): boolean {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return false;
  }
  const cached = probed.get(real);
  if (cached !== undefined) return cached;
  const answer = askExisting(real) ?? askProbe(real);
  probed.set(real, answer);
  return answer;
}

const swapCase = (s: string) => [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');

function sameFile(a: string, b: string): boolean {
  try {
    const x = lstatSync(a);
    const y = lstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function askExisting(dir: string): boolean | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  const cased = names.find((n) => swapCase(n) !== n);
  return cased === undefined ? undefined : sameFile(join(dir, cased), join(dir, swapCase(cased)));
}

function askProbe(dir: string): boolean {
  const probe = join(dir, `.wgsr-case-probe-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
  } catch {
    return false; // a folder we cannot write to: nothing of ours will be written there either
  }
  try {
    return sameFile(probe, join(dir, swapCase(basename(probe))));
  } finally {
    unlinkSync(probe);
  }
}
