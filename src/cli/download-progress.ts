import type { CatalogEntry } from '../runtime/models/catalog.js';
import type { CommandIO } from './command.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * Download progress on stderr for models fetched by name: on a terminal a bar redrawn in place,
 * otherwise a line every 5 s and one at the end (logs stay short).
 */
export function downloadProgress(io: CommandIO, quiet: boolean) {
  let last = 0;
  return {
    onDownload(entry: CatalogEntry, url: string, path: string) {
      if (!quiet) io.stderr(`wgsr: downloading ${entry.name} from ${url} to ${path}`);
    },
    onProgress(received: number, total: number | undefined) {
      if (quiet) return;
      const done = total !== undefined && received >= total;
      const text = total ? `${mb(received)} / ${mb(total)} (${Math.floor((received / total) * 100)}%)` : mb(received);
      if (io.interactive) {
        const width = 24;
        const filled = total ? Math.round((received / total) * width) : 0;
        process.stderr.write(`\r  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K${done ? '\n' : ''}`);
      } else if (done || Date.now() - last >= 5000) {
        last = Date.now();
        io.stderr(`  ${text}`);
      }
    },
  };
}
