import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

/**
 * The core (`wgsr`, src/index.ts) must run unchanged in a browser: every module it reaches
 * imports only other modules of the package — nothing from Node, nothing from node_modules.
 */
it('the core imports nothing from Node and nothing outside the package', () => {
  const src = resolve(__dirname, '../src');
  const seen = new Set<string>();
  const outside: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (!spec.startsWith('.')) outside.push(`${relative(src, file)} imports ${spec}`);
      else walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  walk(resolve(src, 'index.ts'));
  expect(seen.size).toBeGreaterThan(50);
  expect(outside).toEqual([]);
});
