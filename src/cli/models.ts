import { existsSync, statSync } from 'node:fs';
import { cachedModelPath } from '../runtime/models/by-name.js';
import { wgsrCacheDir } from '../runtime/cache-dir.js';
import { modelCatalog } from '../runtime/models/user-catalog.js';
import { parseCommandArgs, stringArg, type Command } from './command.js';

/** Megabytes of a file, or of the float32 weights when the file's size is not known yet. */
const size = (bytes: number | undefined, parameters: number) => (bytes !== undefined ? `${(bytes / 1e6).toFixed(1)} MB` : `~${((parameters * 4) / 1e6).toFixed(1)} MB`);

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the models wgsr upscale -n can fetch by name, and which are cached',
  usage: [
    'Usage: wgsr models [--model-dir DIR] [--json]',
    '',
    "Real-ESRGAN's released models (and those of WGSR_MODELS_CATALOG): name, architecture, scale,",
    'size (~ the float32 weights until downloaded), and whether the file is in the cache.',
    'Names work in either spelling and any case: RealESRGAN_x4plus or realesrgan-x4plus.',
    '',
    '  --model-dir DIR  the folder models by name are kept in (default: $WGSR_CACHE_DIR, else',
    '                   $XDG_CACHE_HOME/wgsr, else ~/.cache/wgsr)',
    '  --json           one JSON object per model: name, aliases, arch, scale, parameters, url,',
    '                   sha256, bytes, cached, path',
    '',
    'Environment: WGSR_MODELS_URL=<base> fetches the built-in files from a mirror (<base>/<file>);',
    'WGSR_MODELS_CATALOG=file.json adds entries { name, url, arch, scale, parameters, sha256?, bytes? }.',
  ].join('\n'),
  async run(argv, io) {
    const { values } = parseCommandArgs('models', argv, [
      { name: 'json', kind: 'flag' },
      { name: 'model-dir', kind: 'string' },
    ]);
    const cacheDir = stringArg(values, 'model-dir') ?? wgsrCacheDir();
    const rows = modelCatalog().map((entry) => {
      const path = cachedModelPath(entry, cacheDir);
      const cached = existsSync(path);
      return { entry, path, cached, bytes: cached ? statSync(path).size : entry.bytes };
    });
    if (values.json) {
      for (const { entry, path, cached, bytes } of rows) {
        const { name, aliases = [], arch, scale, parameters, url, sha256 = null } = entry;
        io.stdout(JSON.stringify({ name, aliases, arch, scale, parameters, url, sha256, bytes: bytes ?? null, cached, path }));
      }
      return 0;
    }
    const table = [['name', 'arch', 'scale', 'size', 'cached', 'for'], ...rows.map(({ entry, cached, bytes }) => [entry.name, entry.arch, `×${entry.scale}`, size(bytes, entry.parameters), cached ? 'yes' : 'no', entry.note ?? ''])];
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    for (const row of table) io.stdout(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
    io.stdout('');
    io.stdout(`cache: ${cacheDir}   (wgsr upscale in.png -n NAME downloads a model there once)`);
    return 0;
  },
};
