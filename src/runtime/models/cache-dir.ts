import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where downloaded models are kept: `$WGSR_CACHE_DIR`, else `$XDG_CACHE_HOME/wgsr`, else
 * `~/.cache/wgsr` (the XDG default, used on every system so the path is easy to tell people).
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WGSR_CACHE_DIR) return env.WGSR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'wgsr');
  return join(homedir(), '.cache', 'wgsr');
}
