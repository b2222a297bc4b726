// One engine training one network, in its own process so bench/train.mjs can time-box it.
// Usage: node bench/train/run-engine.mjs <wgsr|tfjs> <srvgg|edsr> <workDir> <steps> <deadlineMs>
// Reads <workDir>/<net>.safetensors and <net>-batches.{json,f32}; writes <workDir>/<engine>-<net>.json
// after every step (a killed run still reports what it did).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distImport } from '../lib/dist.mjs';
import { ADAM } from './settings.mjs';

const { loadWeights } = await distImport('weights/index.js');

const [engineName, net, work, stepsArg, deadlineArg] = process.argv.slice(2);
const steps = Number(stepsArg);
const deadline = Date.now() + Number(deadlineArg);
const result = { engine: engineName, net, losses: [], stepMs: [] };
const save = () => writeFileSync(path.join(work, `${engineName}-${net}.json`), JSON.stringify(result));

const engine = await import(engineName === 'wgsr' ? './engine-wgsr.mjs' : './engine-tfjs.mjs');
result.label = engine.label;
Object.assign(result, await engine.start());

const modelBytes = readFileSync(path.join(work, `${net}.safetensors`));
const shapes = JSON.parse(readFileSync(path.join(work, `${net}-batches.json`), 'utf8'));
const all = readFileSync(path.join(work, `${net}-batches.f32`));
const floats = new Float32Array(all.buffer, all.byteOffset, all.byteLength / 4);
let at = 0;
const take = (shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: floats.slice(at, (at += n)) };
};
const batches = shapes.map((s) => ({ lr: take(s.lr), hr: take(s.hr) }));

const t0 = performance.now();
const trainer = await engine.load(net, engineName === 'wgsr' ? modelBytes : loadWeights(modelBytes).stateDict, ADAM);
result.loadMs = performance.now() - t0;
save();
for (let s = 0; s < Math.min(steps, batches.length); s++) {
  // The first step is always run (it compiles); later ones only while they fit the deadline.
  if (s > 1 && Date.now() + Math.max(...result.stepMs.slice(1)) > deadline) break;
  const b = trainer.upload(batches[s]);
  const t = performance.now();
  result.losses.push(await trainer.step(b.lr, b.hr));
  result.stepMs.push(performance.now() - t);
  save();
}
if (trainer.details && Date.now() + (result.stepMs.at(-1) ?? 0) * 2 < deadline) {
  Object.assign(result, await trainer.details(batches[result.losses.length % batches.length]));
  save();
}
trainer.destroy();
process.exit(0);
