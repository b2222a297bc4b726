import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelChoiceStore } from '../engine/kernel-cache.js';
import { writeFileAtomic } from '../io/atomic.js';

/** The cache directory: $WGSR_CACHE_DIR, else $XDG_CACHE_HOME/wgsr, else ~/.cache/wgsr. */
export function wgsrCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.WGSR_CACHE_DIR) return env.WGSR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'wgsr');
  return join(homedir(), '.cache', 'wgsr');
}

/** Tuned conv-kernel choices in `kernels.json` of the cache directory (written atomically). */
export function kernelCacheFile(path = join(wgsrCacheDir(), 'kernels.json')): KernelChoiceStore {
  return {
    where: path,
    read: async () => {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    write: async (text) => {
      mkdirSync(dirname(path), { recursive: true });
      await writeFileAtomic(path, new TextEncoder().encode(text));
    },
  };
}
