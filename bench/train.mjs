// Training speed: wgsr against TF.js's WebGPU backend training the same network from the same
// weights on the same batches on the same adapter, in one run, with PyTorch on the CPU for context.
// Networks (bench/train/nets.mjs): SRVGGNetCompact ×4 32/10 at batch 16 × 32², EDSR-baseline ×2
// at batch 16 × 48²; f32, L1, Adam. Per engine: the first step (compilation included), steps/s
// and GFLOPS of the steps after it (median), and the first loss, which must agree (same function,
// same weights, same data). For wgsr also one step's GPU time per phase (forward, input gradient,
// weight gradient, optimizer) and each backward conv's GFLOPS against the adapter's FMA peak
// (bench/peak.mjs) in the same run, and the memory the step planned.
//
// Each engine × network runs in its own process (bench/train/run-engine.mjs, torch_train.py),
// time-boxed by BENCH_TIMEOUT_S (default 900): one that runs over is killed, and what it did by
// then is reported. The sizes are fixed; on a slow adapter fewer steps are measured, never
// smaller batches: BENCH_TRAIN_STEPS=wgsr:6,tfjs:3,torch:4 sets the steps per engine (the first
// included), BENCH_TRAIN_NETS=srvgg,edsr and BENCH_TRAIN_ENGINES=wgsr,tfjs,torch pick, and
// BENCH_TRAIN_KERNELS=register-tile|gemm|auto wgsr's conv kernels (default: the heuristic).
//
// Run: npm run bench:train (builds first). Results: bench/results/train.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { distImport } from './lib/dist.mjs';
import { printTable } from './lib/table.mjs';
import { makeBatches } from './train/data.mjs';
import { NETWORKS, trainingFlops } from './train/nets.mjs';

const { writeSafetensors, writeTorchZip } = await distImport('weights/index.js');

const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const nets = (process.env.BENCH_TRAIN_NETS ?? 'srvgg,edsr').split(',');
const engines = (process.env.BENCH_TRAIN_ENGINES ?? 'wgsr,tfjs,torch').split(',');
const DEFAULT_STEPS = { srvgg: { wgsr: 8, tfjs: 3, torch: 5 }, edsr: { wgsr: 3, tfjs: 2, torch: 3 } };
const stepsOverride = Object.fromEntries((process.env.BENCH_TRAIN_STEPS ?? '').split(',').filter(Boolean).map((p) => p.split(':')).map(([e, n]) => [e, Number(n)]));
const TORCH_THREADS = 2;
/** First losses agree when within this relative difference (f32 engines, same function). */
const LOSS_AGREEMENT = 1e-4;

const here = import.meta.dirname;
const runEngineScript = path.join(here, 'train', 'run-engine.mjs');

/** Runs one engine on one network in a child process; resolves with what it wrote. */
function runEngine(engine, net, work, steps) {
  const [cmd, args] =
    engine === 'torch'
      ? [pythonWithTorch(), [path.join(here, 'train', 'torch_train.py'), net, work, String(steps), String(TORCH_THREADS), String(timeoutMs / 1000)]]
      : [process.execPath, [runEngineScript, engine, net, work, String(steps), String(timeoutMs)]];
  if (!cmd) return Promise.resolve({ engine, net, status: 'skipped: no Python with torch (apt-get install python3-torch)' });
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', OMP_NUM_THREADS: String(TORCH_THREADS) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs + 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const file = path.join(work, `${engine}-${net}.json`);
      const result = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { engine, net, losses: [], stepMs: [] };
      const lines = stderr.split('\n').filter((l) => l.trim() && !/^Warning:|^\s+at /.test(l));
      result.status = timedOut ? `killed after ${timeoutMs / 1000} s (${result.stepMs?.length ?? 0} steps done)` : code === 0 ? 'ok' : `failed: ${lines.at(-1) ?? 'no message'}`;
      resolve(result);
    });
  });
}

function pythonWithTorch() {
  return [process.env.WGSR_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean).find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

/** A table from a header row and rows of cells (the first column left-aligned). */
function table(headers, rows) {
  const columns = headers.map((title, i) => ({ title, key: String(i), align: i === 0 ? 'left' : 'right' }));
  printTable(rows.map((r) => Object.fromEntries(r.map((v, i) => [String(i), String(v)]))), columns);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function benchNetwork(name, work) {
  const net = NETWORKS[name];
  const sd = net.build();
  writeFileSync(path.join(work, `${name}.safetensors`), writeSafetensors(sd));
  writeFileSync(path.join(work, `${name}.pth`), writeTorchZip(sd));
  const steps = Object.fromEntries(engines.map((e) => [e, stepsOverride[e] ?? DEFAULT_STEPS[name][e]]));
  const batches = await makeBatches({ steps: Math.max(...Object.values(steps)) + 1, batch: net.batch, patch: net.patch, scale: net.scale, range: net.range });
  writeFileSync(path.join(work, `${name}-batches.json`), JSON.stringify(batches.map((b) => ({ lr: b.lr.shape, hr: b.hr.shape }))));
  writeFileSync(path.join(work, `${name}-batches.f32`), Buffer.concat(batches.flatMap((b) => [Buffer.from(b.lr.data.buffer), Buffer.from(b.hr.data.buffer)])));
  const flops = trainingFlops(name, sd, net.batch, net.patch);
  console.log(`\n${net.label}: batch ${net.batch} × ${net.patch}² LR patches, ${(flops / 1e9).toFixed(1)} GFLOP per step (convs: forward, input and weight gradients)`);
  const results = [];
  for (const engine of engines) {
    const t0 = performance.now();
    // Other work on the machine slows every engine: the load average says how much there was.
    const loadBefore = loadavg()[0];
    const r = await runEngine(engine, name, work, steps[engine]);
    r.wallS = (performance.now() - t0) / 1000;
    r.loadAverage = [loadBefore, loadavg()[0]];
    r.warmMs = median(r.stepMs?.slice(1) ?? []);
    r.gflops = flops / r.warmMs / 1e6;
    results.push(r);
    console.log(`  ${engine}: ${r.status}; ${r.stepMs?.length ?? 0} steps in ${r.wallS.toFixed(0)} s (load average ${r.loadAverage.map((l) => l.toFixed(1)).join(' → ')})`);
  }
  return { name, label: net.label, batch: net.batch, patch: net.patch, flops, results };
}

function report(bench) {
  const tfjs = bench.results.find((r) => r.engine === 'tfjs');
  const reference = bench.results.find((r) => r.engine === 'torch' && r.losses?.length) ?? bench.results.find((r) => r.losses?.length);
  // A slow engine may be stopped before a warm step: then only first steps (compilation
  // included) compare, in their own column.
  table(
    ['engine', 'first step (compile)', 'vs TF.js', 'ms / warm step', 'steps/s', 'GFLOPS', 'vs TF.js', 'first loss', `Δ vs ${reference?.engine ?? '—'}`],
    bench.results.map((r) => {
      const loss0 = r.losses?.[0];
      const agree = reference && loss0 !== undefined ? Math.abs(loss0 / reference.losses[0] - 1) : NaN;
      return [
        r.label ?? r.engine,
        r.stepMs?.length ? `${(r.stepMs[0] / 1000).toFixed(1)} s` : r.status,
        tfjs?.stepMs?.length && r.stepMs?.length ? `${(tfjs.stepMs[0] / r.stepMs[0]).toFixed(1)}×` : '—',
        Number.isFinite(r.warmMs) ? r.warmMs.toFixed(0) : '—',
        Number.isFinite(r.warmMs) ? (1000 / r.warmMs).toFixed(3) : '—',
        Number.isFinite(r.gflops) ? r.gflops.toFixed(1) : '—',
        tfjs && Number.isFinite(tfjs.warmMs) && Number.isFinite(r.warmMs) ? `${(tfjs.warmMs / r.warmMs).toFixed(1)}×` : '—',
        loss0 !== undefined ? loss0.toPrecision(7) : '—',
        Number.isFinite(agree) ? `${agree.toExponential(1)}${agree <= LOSS_AGREEMENT ? '' : ' (differs!)'}` : '—',
      ];
    }),
  );
  const w = bench.results.find((r) => r.engine === 'wgsr' && r.profile);
  if (w) reportProfile(w);
}

function reportProfile(w) {
  const phases = new Map();
  for (const c of w.profile) {
    const p = phases.get(c.phase) ?? { ms: 0, flops: 0, dispatches: 0 };
    p.ms += c.ms;
    p.flops += c.flops;
    p.dispatches++;
    phases.set(c.phase, p);
  }
  const total = [...phases.values()].reduce((s, p) => s + p.ms, 0);
  const peak = w.peak?.bestGflops;
  console.log(`\n  wgsr (conv kernels ${w.kernels}), one step's GPU time by phase (each dispatch timed in a pass of its own; FMA peak of this adapter ${peak?.toFixed(1)} GFLOPS):`);
  table(
    ['phase', 'dispatches', 'ms', 'share', 'conv GFLOPS', 'of peak'],
    [...phases].map(([phase, p]) => [phase, p.dispatches, p.ms.toFixed(1), `${((100 * p.ms) / total).toFixed(0)}%`, p.flops ? (p.flops / p.ms / 1e6).toFixed(1) : '—', p.flops && peak ? `${((100 * p.flops) / p.ms / 1e6 / peak).toFixed(0)}%` : '—']),
  );
  // Each backward conv: its input-gradient dispatches (one per image) summed, and its weight gradient.
  const convs = new Map();
  for (const c of w.profile) {
    if (!c.flops || c.phase === 'forward') continue;
    const name = c.label.replace(/ input gradient$/, '');
    const e = convs.get(name) ?? { input: { ms: 0, flops: 0 }, weight: { ms: 0, flops: 0 } };
    const part = c.phase === 'input_grad' ? e.input : e.weight;
    part.ms += c.ms;
    part.flops += c.flops;
    convs.set(name, e);
  }
  const g = (p) => (p.ms ? (p.flops / p.ms / 1e6).toFixed(1) : '—');
  const share = (p) => (p.ms && peak ? `${((100 * p.flops) / p.ms / 1e6 / peak).toFixed(0)}%` : '—');
  console.log('\n  wgsr, each conv\'s backward (input gradient: forward conv kernel with transposed weights, all images; weight gradient: partial sums + reduction):');
  table(
    ['conv', 'input grad ms', 'GFLOPS', 'of peak', 'weight grad ms', 'GFLOPS', 'of peak'],
    [...convs].map(([name, e]) => [name, e.input.ms ? e.input.ms.toFixed(1) : '—', g(e.input), share(e.input), e.weight.ms.toFixed(1), g(e.weight), share(e.weight)]),
  );
  const m = w.memory;
  if (m) console.log(`  planned GPU memory of a step: ${(m.total / 2 ** 20).toFixed(1)} MiB (activations ${(m.activations / 2 ** 20).toFixed(1)} MiB, minimum ${(m.minimumActivations / 2 ** 20).toFixed(1)})`);
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'wgsr-bench-train-'));
  const all = [];
  try {
    for (const name of nets) {
      const bench = await benchNetwork(name, work);
      report(bench);
      all.push(bench);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const out = path.join(here, 'results', 'train.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), timeoutS: timeoutMs / 1000, networks: all }, null, 2));
  console.log(`\nresults: ${out}`);
}

await main();
process.exit(0);
