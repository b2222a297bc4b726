// The package as users get it: `npm pack`, the tarball's file list, then a consumer project in a
// temporary folder with the tarball installed in node_modules/wgsr that
// - type-checks TypeScript users' code (consumer/*.ts) under `tsc --init`'s defaults, NodeNext and
//   bundler resolution, every declaration file included (skipLibCheck off);
// - imports it as ES modules and upscales one small image on the GPU with the bundled model;
// - require()s it from CommonJS, where Node can and where it cannot.
// No registry: the tarball is unpacked in place, and each of its declared dependencies is linked
// from this repository's node_modules (only those: an undeclared one would be missing, as it would
// be for users). `npm run test:package` after `npm run build`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTarballFiles } from './tarball-files.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONSUMER = resolve(ROOT, 'test/package/consumer');
const TSC = resolve(ROOT, 'node_modules/typescript/bin/tsc');
const BUN = resolve(ROOT, 'node_modules/.bin/bun');
const STEP_TIMEOUT_MS = 120_000;

class TestFailure extends Error {}

function fail(message) {
  throw new TestFailure(message);
}

/** Runs a command to completion; resolves to its stdout (all its output is shown in a failure). */
function run(what, command, args, options = {}) {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d) => ((stdout += d), (output += d)));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('error', (e) => reject(new TestFailure(`${what}: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done(stdout.trim());
      else reject(new TestFailure(`${what} exited ${code ?? signal}:\n${output.trim()}`));
    });
  });
}

async function timed(label, fn) {
  const t0 = performance.now();
  const detail = await fn();
  console.log(`ok   ${label}${detail ? `: ${detail}` : ''} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
}

/** npm pack into `dir`; returns npm's description of the tarball. */
async function pack(dir) {
  // Scripts off: `prepare` would rebuild dist/, which the caller has just built.
  const json = await run('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
  return JSON.parse(json.slice(json.indexOf('[')))[0];
}

/** node_modules/wgsr from the tarball, and each declared dependency linked from the repository. */
async function install(tarball, project) {
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  await run('tar', 'tar', ['-xzf', tarball, '-C', project]);
  renameSync(join(project, 'package'), join(modules, 'wgsr'));
  const manifest = JSON.parse(readFileSync(join(modules, 'wgsr/package.json'), 'utf8'));
  const optional = manifest.optionalDependencies ?? {};
  const linked = [];
  for (const name of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(optional)]) {
    const from = resolve(ROOT, 'node_modules', name);
    if (!existsSync(from)) {
      if (name in optional) continue;
      fail(`dependency ${name} is not installed in this repository: run npm ci`);
    }
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(from, join(modules, name), 'dir');
    linked.push(name);
  }
  return linked;
}

/** The TypeScript configurations a consumer might have; returns [label, folder, config] for each. */
async function writeConfigs(project) {
  // `tsc --init`'s own defaults, as the installed TypeScript writes them (NodeNext, "types": [], …).
  const init = join(project, 'init');
  mkdirSync(init);
  await run('tsc --init', process.execPath, [TSC, '--init'], { cwd: init });
  cpSync(join(project, 'node-app.ts'), join(init, 'node-app.ts'));
  cpSync(join(project, 'browser-app.ts'), join(init, 'browser-app.ts'));
  const common = { strict: true, target: 'ES2022', noEmit: true };
  const write = (name, compilerOptions, files) =>
    writeFileSync(join(project, name), JSON.stringify({ compilerOptions: { ...common, ...compilerOptions }, files }, null, 2));
  // A Node project with @types/node (from this repository: it is not wgsr's dependency).
  const typeRoots = [resolve(ROOT, 'node_modules/@types')];
  write('tsconfig.nodenext.json', { module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], typeRoots }, ['node-app.ts', 'require-app.cts']);
  // A web app built by a bundler: the DOM library, nothing from Node.
  write('tsconfig.bundler.json', { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [] }, ['browser-app.ts']);
  return [
    ['tsc --init defaults', init, 'tsconfig.json'],
    ['NodeNext', project, 'tsconfig.nodenext.json'],
    ['bundler', project, 'tsconfig.bundler.json'],
  ];
}

/** Type-checks the consumer's files under each configuration at once; every .d.ts is checked. */
async function typecheck(configs) {
  const args = ['--noEmit', '--skipLibCheck', 'false', '--pretty', 'false'];
  await Promise.all(configs.map(([label, cwd, config]) => run(`tsc (${label})`, process.execPath, [TSC, '-p', config, ...args], { cwd })));
  return configs.map(([label]) => label).join(', ');
}

/** require() from CommonJS: works where this Node can require() ES modules; refused clearly where it cannot. */
async function checkRequire(project) {
  const smoke = (flags, mode) => run(`require-smoke.cjs ${mode}`, process.execPath, [...flags, 'require-smoke.cjs', mode], { cwd: project });
  if (!process.features.require_module) return smoke([], 'refused');
  return `${await smoke([], 'works')}; ${await smoke(['--no-experimental-require-module'], 'refused')}`;
}

async function main() {
  const started = performance.now();
  if (!existsSync(resolve(ROOT, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` first');
  if (!existsSync(TSC)) fail('typescript is not installed: run npm ci');
  const work = mkdtempSync(join(tmpdir(), 'wgsr-package-'));
  try {
    let tarball;
    await timed('npm pack', async () => {
      const packed = await pack(work);
      tarball = join(work, packed.filename);
      const problems = checkTarballFiles(packed.files.map((f) => f.path), JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')));
      if (problems.length) fail(`the tarball's files:\n  ${problems.join('\n  ')}`);
      return `${packed.filename}, ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} KB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked`;
    });
    const project = join(work, 'consumer');
    cpSync(CONSUMER, project, { recursive: true });
    await timed('install', async () => `node_modules/wgsr from the tarball; linked ${(await install(tarball, project)).join(', ')}`);
    const configs = await writeConfigs(project);
    await timed('tsc', () => typecheck(configs));
    await timed('import', () => run('esm-smoke.mjs', process.execPath, ['esm-smoke.mjs'], { cwd: project }));
    await timed('require', () => checkRequire(project));
    // bun-webgpu is an optional peer, so it is not in the consumer project: Bun must say how to add it.
    if (existsSync(BUN)) await timed('bun', () => run('bun-without-bun-webgpu.mjs', BUN, ['bun-without-bun-webgpu.mjs'], { cwd: project }));
    else console.log('skip bun: node_modules/.bin/bun is not installed');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`package test passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (e) {
  console.error(`FAIL package test: ${e instanceof TestFailure ? e.message : e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
}
