import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * wgsr's cache folder (downloaded models, tuned kernel choices): `$WGSR_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/wgsr`, else `~/.cache/wgsr` (the XDG default, used on every system so the path
 * is easy to tell people).
 */
export function wgsrCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.WGSR_CACHE_DIR) return env.WGSR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'wgsr');
  return join(homedir(), '.cache', 'wgsr');
}
