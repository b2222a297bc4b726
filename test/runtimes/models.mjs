// The model fixture checks of test/models/*.test.ts (and a few training steps of
// test/train/models.test.ts), as a plain script for runtimes vitest does
// not cover: `bun test/runtimes/models.mjs`, `deno run -A test/runtimes/models.mjs` (node works
// too). It imports the built package (run `npm run build` first), so it tests what users get.
// Prints one line per check and a final `runtime <name>: N passed, M failed`; exits 1 on failure.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainer, createUpscaler, offeredConvVariants } from '../../dist/index.js';
import { createServerDevice, readImage } from '../../dist/node.js';
import { readNpy } from '../helpers/npy.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../fixtures');

/** The RRDBNet model fixtures bundled in the repo (test/models/rrdbnet.test.ts). */
const MODEL_CASES = ['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny'];
/** The whole-image pipeline fixture (test/models/pipeline.test.ts). */
const PIPELINE_CASE = 'realesrgan_x4_tiny_0014_crop_whole';

function runtimeName() {
  if (typeof globalThis.Bun !== 'undefined') return `bun ${globalThis.Bun.version}`;
  if (typeof globalThis.Deno !== 'undefined') return `deno ${globalThis.Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

/**
 * forward() against PyTorch's output: max |Δ| ≤ 1e-4 of the output's range (the issue's budget);
 * with f16 activations 2e-3 (test/models/f16.test.ts). `options` picks the conv kernel variant.
 */
async function checkForward(device, name, options = {}) {
  const dir = resolve(FIXTURES, 'models', name);
  const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8'));
  const input = readNpy(resolve(dir, 'input.npy'));
  const want = readNpy(resolve(dir, 'output.npy'));
  const up = await createUpscaler(readFileSync(resolve(dir, 'model.pth')), { device, source: `${name}/model.pth`, onWarning: () => {}, ...options });
  try {
    if (options.kernels && options.kernels !== 'auto' && up.kernels !== options.kernels) throw new Error(`ran ${up.kernels}, asked for ${options.kernels}`);
    if (up.info.arch !== 'RRDBNet' || up.info.scale !== meta.scale) {
      throw new Error(`detected ${up.info.arch} x${up.info.scale}, fixture is RRDBNet x${meta.scale}`);
    }
    const got = await up.forward({ shape: input.shape, data: input.data });
    if (got.shape.join() !== want.shape.join()) throw new Error(`shape ${got.shape} != expected ${want.shape}`);
    let min = Infinity;
    let max = -Infinity;
    for (const v of want.data) [min, max] = [Math.min(min, v), Math.max(max, v)];
    let maxAbs = 0;
    for (let i = 0; i < want.data.length; i++) {
      const d = Math.abs(got.data[i] - want.data[i]);
      maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    }
    const budget = (options.precision === 'f16' ? 2e-3 : 1e-4) * (max - min);
    const detail = `max |Δ| ${maxAbs.toExponential(2)} (budget ${budget.toExponential(2)}; kernels ${up.kernels})`;
    if (!(maxAbs <= budget)) throw new Error(detail);
    return detail;
  } finally {
    up.destroy();
  }
}

/** upscale() of the whole crop against PyTorch's PNG: every 8-bit value within ±1 level. */
async function checkPipeline(device, name) {
  const dir = resolve(FIXTURES, 'pipeline', name);
  const model = resolve(FIXTURES, 'models/realesrgan_x4_tiny/model.pth');
  const up = await createUpscaler(readFileSync(model), { device, tile: 0, tilePad: 0 });
  try {
    const input = await readImage(resolve(dir, 'input.png'));
    const expected = await readImage(resolve(dir, 'expected.png'));
    const got = await up.upscale(input);
    const dims = [got.width, got.height, got.channels, got.bitDepth].join('x');
    const wantDims = [expected.width, expected.height, 3, 8].join('x');
    if (dims !== wantDims) throw new Error(`got ${dims}, expected ${wantDims}`);
    let maxLevel = 0;
    for (let i = 0; i < expected.data.length; i++) maxLevel = Math.max(maxLevel, Math.abs(got.data[i] - expected.data[i]));
    const detail = `max difference ${maxLevel} level(s) (tolerance 1)`;
    if (!(maxLevel <= 1)) throw new Error(detail);
    return detail;
  } finally {
    up.destroy();
  }
}

/** A few training steps of the SRVGG case (test/train/models.test.ts): every loss within 1e-4 relative of PyTorch's. */
const TRAIN_CASE = 'srvgg_x4_train';
const TRAIN_STEPS = 3;

async function checkTraining(device) {
  const dir = resolve(FIXTURES, 'train/models', TRAIN_CASE);
  const meta = JSON.parse(readFileSync(resolve(dir, 'meta.json'), 'utf8'));
  const lr = readNpy(resolve(dir, 'lr.npy'));
  const hr = readNpy(resolve(dir, 'hr.npy'));
  const at = (a, s) => {
    const [, n, c, h, w] = a.shape;
    const size = n * c * h * w;
    return { shape: [n, c, h, w], data: a.data.slice(s * size, (s + 1) * size) };
  };
  const o = meta.optimizer;
  const tr = await createTrainer(readFileSync(resolve(dir, 'init.pth')), { device, loss: 'l1', optimizer: { name: 'adam', lr: o.lr, betas: o.betas, eps: o.eps } });
  try {
    let worst = 0;
    for (let s = 0; s < TRAIN_STEPS; s++) {
      const loss = await tr.step(at(lr, s), at(hr, s));
      worst = Math.max(worst, Math.abs(loss / meta.losses[s] - 1));
    }
    const detail = `${TRAIN_STEPS} steps, losses within ${worst.toExponential(2)} of PyTorch's (tolerance 1e-4)`;
    if (!(worst <= 1e-4)) throw new Error(detail);
    return detail;
  } finally {
    tr.destroy();
  }
}

async function main() {
  const runtime = runtimeName();
  const started = performance.now();
  let passed = 0;
  let failed = 0;
  const { device, adapter } = await createServerDevice();
  console.log(`${runtime}: adapter ${adapter.summary}`);
  const checks = [
    ...MODEL_CASES.map((name) => [`forward ${name}`, () => checkForward(device, name)]),
    [`upscale ${PIPELINE_CASE}`, () => checkPipeline(device, PIPELINE_CASE)],
    [`train ${TRAIN_CASE}`, () => checkTraining(device)],
    // Every conv kernel variant this adapter offers, and what kernels: 'auto' picks here.
    ...['f32', 'f16']
      .filter((precision) => precision === 'f32' || device.features.has('shader-f16'))
      .flatMap((precision) =>
        [...offeredConvVariants(device, precision).map((v) => v.name), 'auto'].map((kernels) => [
          `forward realesrgan_x2_tiny, kernels ${kernels}, ${precision}`,
          () => checkForward(device, 'realesrgan_x2_tiny', { kernels, precision }),
        ]),
      ),
  ];
  try {
    for (const [label, check] of checks) {
      const t0 = performance.now();
      try {
        const detail = await check();
        passed++;
        console.log(`ok   ${label}: ${detail} [${(performance.now() - t0).toFixed(0)} ms]`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${label}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    device.destroy();
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`runtime ${runtime.split(' ')[0]}: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

let code;
try {
  code = await main();
} catch (e) {
  // No device or no build: one clear line, not a stack trace.
  console.log(`FAIL ${e instanceof Error ? `${e.name === 'WgsrError' ? '' : `${e.name}: `}${e.message}` : String(e)}`);
  code = 1;
}
// process.exit, not exitCode: native WebGPU bindings can keep the event loop alive.
process.exit(code);
