// What the npm tarball may hold, and must: the built package (JavaScript and its declarations),
// the CommonJS entry points, the CLI launcher, the bundled models, README, LICENSE and
// package.json. No sources, tests, fixtures, benchmarks or source maps (their sources are not
// shipped, so a map would point at nothing).

/** Files every tarball must have. */
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'bin/wgsr.js', 'models/default/wgsr-compact-x4.safetensors', 'models/default/wgsr-compact-denoise-x4.safetensors'];

/** Every file must match one of these. */
const ALLOWED = [
  /^(package\.json|README\.md|LICENSE)$/,
  /^dist\/[\w/.-]+\.(js|d\.ts)$/,
  /^cjs\/[\w-]+\.cjs$/,
  /^bin\/[\w-]+\.js$/,
  /^models\/default\/[\w.-]+\.safetensors$/,
];

/** The files `exports`, `main`, `types` and `bin` name, from package.json. */
function namedFiles(manifest) {
  const targets = [];
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  targets.push(manifest.main, manifest.types);
  // Patterns ("./models/*") name folders, not files.
  return targets.filter((t) => typeof t === 'string' && !t.includes('*')).map((t) => t.replace(/^\.\//, ''));
}

/** Problems with a tarball's file list (empty when it is as intended). */
export function checkTarballFiles(paths, manifest) {
  const files = new Set(paths);
  const problems = [];
  for (const path of [...REQUIRED, ...namedFiles(manifest)]) if (!files.has(path)) problems.push(`missing ${path}`);
  for (const path of paths) if (!ALLOWED.some((re) => re.test(path))) problems.push(`unexpected ${path}`);
  for (const path of paths) {
    const twin = path.endsWith('.d.ts') ? path.replace(/\.d\.ts$/, '.js') : path.startsWith('dist/') ? path.replace(/\.js$/, '.d.ts') : undefined;
    if (twin && !files.has(twin)) problems.push(`${path} without ${twin}`);
  }
  return problems;
}
