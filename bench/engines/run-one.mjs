// One engine at one input size, in its own process so that compare.mjs can time-box it (kill it)
// and so every cold start is really cold. Writes <out>/<engine>-<size>.json (timings, written
// after the cold start and again at the end) and <engine>-<size>.f32 (the first output).
// Usage: node bench/engines/run-one.mjs <engine> <size> <numBlock> <outDir> <deadlineMs>
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { distImport } from '../lib/dist.mjs';

const { syntheticRRDBNet } = await distImport('models/synthetic.js');

export const ENGINES = {
  wgsr: async () => (await import('./wgsr.mjs')).wgsrEngine('f32'),
  'wgsr-f16': async () => (await import('./wgsr.mjs')).wgsrEngine('f16'),
  tfjs: () => import('./tfjs.mjs'),
  'ort-webgpu': async () => (await import('./ort.mjs')).ortEngine('webgpu'),
  'ort-wasm': async () => (await import('./ort.mjs')).ortEngine('wasm'),
};

/** The bench input: the same deterministic ramp as bench:models. */
export function benchInput(size) {
  return Float32Array.from({ length: 3 * size * size }, (_, i) => (i % 251) / 251);
}

async function main() {
  const [engineName, sizeArg, blocksArg, outDir, deadlineArg] = process.argv.slice(2);
  const size = Number(sizeArg);
  const numBlock = Number(blocksArg);
  const deadline = Date.now() + Number(deadlineArg);
  const maxReps = Number(process.env.BENCH_REPS ?? 3);
  const base = path.join(outDir, `${engineName}-${size}`);
  const result = { engine: engineName, size };
  const save = () => writeFileSync(`${base}.json`, JSON.stringify(result));

  const engine = await ENGINES[engineName]();
  result.label = engine.label;
  const context = await engine.createDevice();
  result.adapter = context.adapter;
  const stateDict = syntheticRRDBNet({ numBlock });
  const input = benchInput(size);

  const t0 = performance.now();
  const net = await engine.load(stateDict, { ...context, numBlock });
  result.loadMs = performance.now() - t0;
  save(); // a run killed during the first forward still reports how long loading took
  const first = await net.forward(input, size);
  result.coldMs = performance.now() - t0;
  writeFileSync(`${base}.f32`, new Uint8Array(first.buffer, first.byteOffset, first.byteLength));
  result.outputLength = first.length;
  save();

  // Steady state: up to BENCH_REPS forwards, stopping early when the next would pass the deadline.
  // The first is always tried (the cold forward's time is mostly shader compilation, no estimate
  // of a warm one); compare.mjs kills the process at the deadline if it runs over.
  const times = [];
  result.times = times;
  while (times.length < maxReps) {
    if (times.length > 0 && Date.now() + Math.max(...times) > deadline) break;
    const t = performance.now();
    await net.forward(input, size);
    times.push(performance.now() - t);
    save();
  }
  await net.destroy();
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  });
}
