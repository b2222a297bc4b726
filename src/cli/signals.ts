import { removeTempFiles } from '../io/atomic.js';

/** Exit status for each handled signal: 128 + its number, as shells report it. */
export const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * SIGINT, SIGTERM and SIGHUP are handled alike: the first one aborts the work (between tiles;
 * a write in progress finishes, so no half file or temp file stays) and the command returns
 * `exitCode()`. Another signal a second or more later means "now": temp files are removed and
 * the process exits at once. (A signal repeated within the second, as a terminal's Ctrl-C
 * reaching both this process and a launcher that forwards it, counts once.)
 */
export function onSignals(abort: () => void): { received: () => number | undefined; dispose: () => void } {
  let first: { code: number; at: number } | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((signal) => {
    const handler = () => {
      if (!first) {
        first = { code: SIGNAL_EXIT[signal], at: Date.now() };
        abort();
      } else if (Date.now() - first.at >= 1000) {
        removeTempFiles();
        process.exit(first.code);
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    received: () => first?.code,
    dispose: () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    },
  };
}
