import { WgsrError } from '../../errors.js';
import { imageBytes, type PreparedPair } from './images.js';

/**
 * Where the batch sampler gets its images: `count` pairs, fetched by index. A source may hold
 * them all, or decode them again when needed (the file system lives outside the core: the Node
 * layer passes a loader, a page passes decoded canvases).
 */
export interface ImageSource {
  readonly count: number;
  get(index: number): Promise<PreparedPair>;
}

export function pairBytes(pair: PreparedPair): number {
  return imageBytes(pair.hr) + (pair.lr ? imageBytes(pair.lr) : 0);
}

/** Every pair held in memory. */
export function memorySource(pairs: readonly PreparedPair[]): ImageSource {
  if (pairs.length === 0) throw new WgsrError('BAD_ARGUMENT', 'the training set has no images');
  return { count: pairs.length, get: async (i) => pairs[i]! };
}

/**
 * Pairs loaded on demand and kept, least recently used first out, while they fit in
 * `budgetBytes`: for sets that do not fit in memory. Every miss decodes again, so a set much
 * larger than the budget trains at the speed of the decoder (the caller says so to the user).
 * Concurrent requests for one pair share its load.
 */
export function cachedSource(count: number, load: (index: number) => Promise<PreparedPair>, budgetBytes: number): ImageSource & { readonly heldBytes: number } {
  if (count === 0) throw new WgsrError('BAD_ARGUMENT', 'the training set has no images');
  const held = new Map<number, { pair: PreparedPair; bytes: number }>(); // Map order = recency
  const loading = new Map<number, Promise<PreparedPair>>();
  let heldBytes = 0;
  const keep = (index: number, pair: PreparedPair) => {
    const bytes = pairBytes(pair);
    held.set(index, { pair, bytes });
    heldBytes += bytes;
    for (const [i, entry] of held) {
      if (heldBytes <= budgetBytes || i === index) break;
      held.delete(i);
      heldBytes -= entry.bytes;
    }
  };
  return {
    count,
    get heldBytes() {
      return heldBytes;
    },
    async get(index) {
      const hit = held.get(index);
      if (hit) {
        held.delete(index);
        held.set(index, hit);
        return hit.pair;
      }
      let pending = loading.get(index);
      if (!pending) {
        pending = load(index).then((pair) => (keep(index, pair), pair));
        loading.set(index, pending);
        void pending.finally(() => loading.delete(index)).catch(() => undefined);
      }
      return pending;
    },
  };
}
