// The same RRDBNet (Real-ESRGAN x4plus size: 23 blocks, 64 features, growth 32; random weights of
// the real shapes, bench:models' seed) and the same input on wgsr, TF.js WebGPU and
// onnxruntime-web's WebGPU EP, on the same adapter, in one run. For each engine and size: cold
// start (weights → first result), steady-state ms per forward (upload and read-back included;
// median), GFLOPS, and the largest difference from wgsr's output relative to its range.
//
// Each engine × size runs in its own process (bench/engines/run-one.mjs), time-boxed by
// BENCH_TIMEOUT_S (default 300 s): one that runs over is killed and reported as such.
// If the ORT WebGPU EP fails, its wasm (CPU) backend runs instead, labelled as a CPU reference.
//
// Run: npm run build && npm run bench:compare
//   BENCH_SIZES=32,64  input sizes        BENCH_BLOCKS=23  RRDB blocks (2 for a quick check)
//   BENCH_REPS=3       warm forwards      BENCH_ENGINES=wgsr,tfjs,ort-webgpu (wgsr-f16 and ort-wasm also exist)
// Then Real-ESRGAN's own weights against realesrgan-ncnn-vulkan, whole process (bench/real-models.mjs,
// its own settings there); BENCH_REAL=0 leaves that out, BENCH_SYNTHETIC=0 runs only that.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { printTable } from './lib/table.mjs';
import { distImport } from './lib/dist.mjs';
import { runRealModels } from './real-models.mjs';

const { rrdbnetFlopsPerPixel } = await distImport('models/synthetic.js');

const sizes = (process.env.BENCH_SIZES ?? '32,64').split(',').map(Number);
const numBlock = Number(process.env.BENCH_BLOCKS ?? 23);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 300) * 1000;
const engines = (process.env.BENCH_ENGINES ?? 'wgsr,tfjs,ort-webgpu').split(',');
/**
 * Outputs agree when max |Δ| ≤ this fraction of the reference output's range; wgsr's f16
 * activations get the f16 budget of its tests (half an 8-bit level).
 */
const AGREEMENT = 1e-3;
const agreementOf = (engineId) => (engineId === 'wgsr-f16' ? 2e-3 : AGREEMENT);

const runOne = path.join(import.meta.dirname, 'engines', 'run-one.mjs');

/** Runs one engine at one size in a child process; resolves with what it wrote, however it ended. */
function runEngine(engine, size, work) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runOne, engine, String(size), String(numBlock), work, String(timeoutMs)], {
      // Mesa keeps compiled shaders on disk between runs; disabled so every cold start compiles.
      env: { MESA_SHADER_CACHE_DISABLE: 'true', ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs + 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const base = path.join(work, `${engine}-${size}`);
      const result = existsSync(`${base}.json`) ? JSON.parse(readFileSync(`${base}.json`, 'utf8')) : { engine, size };
      if (existsSync(`${base}.f32`)) {
        const bytes = readFileSync(`${base}.f32`);
        result.output = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      }
      if (timedOut) result.status = `killed after ${timeoutMs / 1000} s, ${result.loadMs === undefined ? 'loading' : result.coldMs === undefined ? `in the first forward (loaded in ${(result.loadMs / 1000).toFixed(1)} s)` : 'in the warm forwards'}`;
      else if (code !== 0) result.status = `failed: ${lastErrorLine(stderr)}`;
      else result.status = 'ok';
      resolve(result);
    });
  });
}

/** The error message of a crashed child (Dawn warnings and ORT's CPU-vendor notice are noise). */
function lastErrorLine(stderr) {
  const lines = stderr.split('\n').filter((l) => l.trim() && !/^Warning:|LogEarlyWarning|^\s+at /.test(l));
  return lines.at(-1)?.trim() ?? 'no error message';
}

function maxRelativeDiff(got, want) {
  if (got.length !== want.length) return Infinity;
  let min = Infinity;
  let max = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    min = Math.min(min, want[i]);
    max = Math.max(max, want[i]);
    maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]) || (Number.isNaN(got[i]) ? Infinity : 0));
  }
  return maxAbs / (max - min);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const flopsPerPixel = rrdbnetFlopsPerPixel({ numBlock });
  const work = mkdtempSync(path.join(tmpdir(), 'wgsr-compare-'));
  const rows = [];
  const notes = [];
  console.log(`RRDBNet ${numBlock} blocks, 64 features, growth 32, f32; ${(flopsPerPixel / 1e6).toFixed(2)} MFLOP per input pixel`);
  try {
    for (const size of sizes) {
      const results = [];
      for (const engine of engines) {
        console.log(`${engine} at ${size}×${size}…`);
        const loadBefore = loadavg()[0];
        let r = await runEngine(engine, size, work);
        if (engine === 'ort-webgpu' && r.coldMs === undefined && !r.status.startsWith('killed')) {
          notes.push(`${size}×${size}: onnxruntime-web's WebGPU EP did not run in Node (${r.status}); its wasm backend ran instead as a CPU reference`);
          results.push(r);
          r = await runEngine('ort-wasm', size, work);
        }
        // The 1-minute load average around the run: other processes share the CPU that lavapipe runs on.
        r.load = [loadBefore, loadavg()[0]];
        results.push(r);
        console.log(`  ${r.status}${r.coldMs !== undefined ? `, cold ${(r.coldMs / 1000).toFixed(1)} s` : ''}${r.times?.length ? `, warm ${(median(r.times) / 1000).toFixed(1)} s` : ''}`);
      }
      const reference = results.find((r) => r.engine === 'wgsr' && r.output) ?? results.find((r) => r.output);
      for (const r of results) {
        const ms = r.times?.length ? median(r.times) : undefined;
        rows.push({
          size: `${size}×${size}`,
          engine: r.label ?? r.engine,
          engineId: r.engine,
          status: r.status,
          adapter: r.adapter,
          coldMs: r.coldMs,
          loadMs: r.loadMs,
          ms,
          reps: r.times?.length ?? 0,
          times: r.times,
          loadAverage: r.load,
          gflops: ms ? (flopsPerPixel * size * size) / (ms * 1e6) : undefined,
          diffVsReference: r.output && reference && r !== reference ? maxRelativeDiff(r.output, reference.output) : undefined,
          reference: reference?.engine,
        });
      }
      // Each wgsr row's speed-up against the fastest other engine that finished on a GPU.
      const here = rows.filter((r) => r.size === `${size}×${size}`);
      const others = here.filter((r) => !r.engineId.startsWith('wgsr') && r.engineId !== 'ort-wasm');
      for (const mine of here.filter((r) => r.engineId.startsWith('wgsr'))) {
        for (const key of ['ms', 'coldMs']) {
          const best = Math.min(...others.map((r) => r[key] ?? Infinity));
          if (mine[key] !== undefined && Number.isFinite(best)) mine[key === 'ms' ? 'speedup' : 'coldSpeedup'] = best / mine[key];
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const fmt = (digits, scale = 1) => (v) => (v === undefined ? '—' : (v / scale).toFixed(digits));
  printTable(rows, [
    { key: 'size', title: 'input', align: 'left' },
    { key: 'engine', title: 'engine', align: 'left' },
    { key: 'coldMs', title: 'cold s', format: fmt(1, 1000) },
    { key: 'ms', title: 'warm s/forward', format: fmt(2, 1000) },
    { key: 'gflops', title: 'GFLOPS', format: fmt(2) },
    { key: 'speedup', title: 'wgsr speed-up', format: (v) => (v === undefined ? '' : `${v.toFixed(2)}×`) },
    { key: 'coldSpeedup', title: 'cold speed-up', format: (v) => (v === undefined ? '' : `${v.toFixed(2)}×`) },
    { key: 'diffVsReference', title: 'max |Δ| / range', format: (v) => (v === undefined ? '' : v.toExponential(1)) },
    { key: 'loadAverage', title: 'load avg', format: (v) => (v ? v.map((x) => x.toFixed(1)).join('→') : '') },
    { key: 'status', title: 'status', align: 'left' },
  ]);
  const adapters = [...new Set(rows.map((r) => r.adapter).filter(Boolean))];
  console.log(`adapter(s): ${adapters.join(' | ')}`);
  const disagree = rows.filter((r) => r.diffVsReference !== undefined && !(r.diffVsReference <= agreementOf(r.engineId)));
  const compared = rows.filter((r) => r.diffVsReference !== undefined).length;
  console.log(
    disagree.length
      ? `OUTPUTS DISAGREE (beyond ${AGREEMENT} of the range, 2e-3 for wgsr f16): ${disagree.map((r) => `${r.engine} at ${r.size}`).join(', ')}`
      : compared
        ? `all ${compared} compared outputs agree with wgsr's within ${AGREEMENT} of the output range (2e-3 for wgsr f16)`
        : 'no outputs were compared: fewer than two engines finished at any size',
  );
  for (const n of notes) console.log(n);

  const out = path.resolve(import.meta.dirname, 'results', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const real = process.env.BENCH_REAL === '0' ? [] : await runRealModels();
  writeFileSync(out, JSON.stringify({ real, network: { arch: 'RRDBNet', numBlock, numFeat: 64, numGrowCh: 32, precision: 'f32' }, flopsPerPixel, adapters, agreementBudget: AGREEMENT, timeoutS: timeoutMs / 1000, notes, rows }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  process.exitCode = disagree.length ? 1 : 0;
}

if (process.env.BENCH_SYNTHETIC === '0') {
  const real = await runRealModels();
  const out = path.resolve(import.meta.dirname, 'results', `compare-real-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ real }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
else await main();
