import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isWgsrError, WgsrError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readModelFile } from '../../io/model-file.js';
import { fileNameOf, type CatalogEntry } from './catalog.js';
import { wgsrCacheDir } from '../cache-dir.js';
import { download, type FetchLike } from './download.js';
import { findModel } from './find-model.js';
import { modelCatalog } from './user-catalog.js';
import { verifyModel } from './verify.js';

export interface LoadByNameOptions {
  /** The folder models by name are kept in (default: wgsrCacheDir(): $WGSR_CACHE_DIR, …). */
  cacheDir?: string;
  /** The catalogue to look names up in (default: the built-in one with WGSR_MODELS_URL / WGSR_MODELS_CATALOG applied). */
  catalog?: readonly CatalogEntry[];
  /** The fetch to download with (default: globalThis.fetch). */
  fetch?: FetchLike;
  /** Download progress: bytes so far, and the total when known. Called only when downloading. */
  onProgress?: (received: number, total: number | undefined, entry: CatalogEntry) => void;
  /** Called once before a download starts (to say what is being fetched, from where, to where). */
  onDownload?: (entry: CatalogEntry, url: string, path: string) => void;
  /** Give up on a download when no byte arrives for this long (default 30 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface ModelByName {
  /** The model file's bytes (verified), ready for createUpscaler. */
  bytes: Uint8Array;
  /** Where the file is kept. */
  path: string;
  entry: CatalogEntry;
  /** True when this call downloaded it; false when it came from the cache. */
  downloaded: boolean;
}

/** Where a catalogue entry's file is kept in `cacheDir`. */
export function cachedModelPath(entry: CatalogEntry, cacheDir: string = wgsrCacheDir()): string {
  return join(cacheDir, fileNameOf(entry.url));
}

/**
 * A model by its catalogue name: from the cache when it is there (no network), else downloaded,
 * verified (size, architecture, scale, parameter count, SHA-256 when published) and only then
 * renamed into the cache. A file that fails verification is never kept.
 */
export async function loadModelByName(name: string, options: LoadByNameOptions = {}): Promise<ModelByName> {
  const entry = findModel(name, options.catalog ?? modelCatalog());
  const cacheDir = options.cacheDir ?? wgsrCacheDir();
  const path = cachedModelPath(entry, cacheDir);
  if (existsSync(path)) {
    const bytes = readModelFile(path);
    try {
      verifyModel(bytes, entry, path);
    } catch (e) {
      if (isWgsrError(e)) throw new WgsrError(e.code, `${e.message.replace('; nothing was kept', '')}. Delete ${path} to download it again`, { cause: e });
      throw e;
    }
    return { bytes, path, entry, downloaded: false };
  }
  options.onDownload?.(entry, entry.url, path);
  let bytes: Uint8Array;
  try {
    bytes = await download(entry.url, {
      fetch: options.fetch,
      stallTimeoutMs: options.stallTimeoutMs,
      signal: options.signal,
      onProgress: options.onProgress && ((r, t) => options.onProgress!(r, t, entry)),
    });
  } catch (e) {
    if (isWgsrError(e) && e.code === 'NETWORK') {
      throw new WgsrError('NETWORK', `${e.message}. Without network: download ${entry.url} elsewhere and place it at ${path} (or in the folder given with --model-dir)`, { cause: e });
    }
    throw e;
  }
  verifyModel(bytes, entry, entry.url);
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    throw new WgsrError('IO', `cannot create the model cache ${cacheDir}: ${(e as Error).message} (set WGSR_CACHE_DIR or --model-dir to a writable folder)`);
  }
  await writeFileAtomic(path, bytes);
  return { bytes, path, entry, downloaded: true };
}
