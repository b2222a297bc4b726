import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KernelChoiceStore } from '../engine/kernel-cache.js';
import { writeFileAtomic } from '../io/atomic.js';
import { wgsrCacheDir } from './cache-dir.js';


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
