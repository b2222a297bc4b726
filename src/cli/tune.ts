import { WgsrError } from '../errors.js';
import { PassTimer } from '../engine/conv-tuner.js';
import { saveKernelChoices } from '../engine/kernel-cache.js';
import { adapterIdentityOf, graphConvShapes, heuristicKernel, isCpuAdapter, tuneConvKernels } from '../engine/kernels.js';
import { measureFmaPeak } from '../gpu/fma-peak.js';
import { convShapeKey, type ConvKernelName } from '../kernels/conv2d-variants.js';
import { PipelineCache } from '../kernels/program.js';
import { loadModel } from '../models/load.js';
import { kernelCacheFile } from '../runtime/kernel-cache-file.js';
import { createServerDevice } from '../runtime/node.js';
import { benchModel } from './bench-model.js';
import { numberArg, parseCommandArgs, type Command } from './command.js';

const USAGE = `Usage: wgsr tune [-m model] [--precision f32|f16] [--size N] [--json]

Measures every conv kernel variant this adapter offers on the model's conv shapes (an N×N
conv output, default 128 on a GPU and 32 on a CPU adapter), after a correctness probe of each
against the register tile, and prints per layer shape and variant: ms, GFLOPS and the share of
the adapter's vec4 FMA peak measured in the same run. On a GPU the winners are saved to the
kernel cache (~/.cache/wgsr/kernels.json, or under $WGSR_CACHE_DIR / $XDG_CACHE_HOME), where
createUpscaler(…, { kernels: 'auto' }) and wgsr upscale --kernels auto find them. On a CPU
adapter 'auto' uses the heuristic (the register tile) and nothing is saved.
Without -m: RRDBNet at Real-ESRGAN x4plus size with random weights.`;

export const tuneCommand: Command = {
  name: 'tune',
  summary: 'measure the conv kernel variants on this adapter and pick one per layer shape',
  usage: USAGE,
  async run(argv, io) {
    const { values: v } = parseCommandArgs('tune', argv, [
      { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
      { name: 'precision', kind: 'string' },
      { name: 'size', kind: 'string' },
      { name: 'json', kind: 'flag' },
    ]);
    const precision = (v.precision as string | undefined) ?? 'f32';
    if (precision !== 'f32' && precision !== 'f16') throw new WgsrError('BAD_ARGUMENT', `--precision must be f32 or f16, got "${precision}"`);
    const { bytes, source } = benchModel(v.model as string | undefined);
    const { model } = loadModel(bytes, { source });
    const shapes = graphConvShapes(model.graph);
    const { device, adapter } = await createServerDevice();
    try {
      if (precision === 'f16' && !device.features.has('shader-f16')) throw new WgsrError('BAD_ARGUMENT', 'this adapter has no shader-f16 feature: --precision f16 cannot run here');
      const identity = adapterIdentityOf(device, adapter);
      const cpu = isCpuAdapter(identity);
      const size = numberArg(v.size as string | undefined, '--size', (n) => Number.isInteger(n) && n >= 4 && n % 4 === 0, 'a multiple of 4, at least 4') ?? (cpu ? 32 : 128);
      const warnings: string[] = [];
      const warn = (m: string) => {
        warnings.push(m);
        io.stderr(`wgsr: ${m}`);
      };
      const pipelines = new PipelineCache(device);
      const timer = new PassTimer(device);
      const peak = await measureFmaPeak(device, (e) => timer.timeEncoded(e), cpu ? { workgroups: 64, iterations: 64, runs: 2 } : { workgroups: 1024, iterations: 512, runs: 5 });
      timer.destroy();
      const tuned = await tuneConvKernels(pipelines, shapes, precision, warn, { budgetMs: Infinity, height: size, width: size, runs: cpu ? 2 : 9 });
      const heuristic = heuristicKernel(device, identity, precision);
      // What kernels: 'auto' will run: the measured winner on a GPU; the heuristic on a CPU adapter.
      const chosenOf = (fastest: ConvKernelName | undefined): ConvKernelName | undefined => (cpu ? heuristic : fastest);
      const layers = tuned.layers.map((l) => ({ shape: convShapeKey(l.shape), flops: l.flops, timings: l.timings, fastest: l.chosen, chosen: chosenOf(l.chosen) }));
      let cache: string | undefined;
      if (!cpu) {
        const store = kernelCacheFile();
        const choices = new Map(layers.filter((l) => l.chosen).map((l) => [l.shape, l.chosen!] as const));
        await saveKernelChoices(store, identity, precision, choices, warn);
        cache = store.where;
      }
      const note = cpu ? `CPU adapter: kernels "auto" uses the heuristic (${heuristic}); timings are for reference` : undefined;
      if (v.json) {
        io.stdout(
          JSON.stringify({
            adapter: { ...identity, summary: adapter.summary, cpu },
            precision,
            size,
            timing: timer.method,
            peakGflops: peak,
            variants: tuned.variants,
            layers: layers.map((l) => ({ shape: l.shape, timings: l.timings, chosen: l.chosen, fastest: l.fastest, flops: l.flops })),
            ...(note ? { note } : {}),
            ...(cache ? { cache } : {}),
          }),
        );
        return 0;
      }
      io.stdout(`adapter: ${adapter.summary}${cpu ? ' (CPU adapter)' : ''}`);
      io.stdout(`precision ${precision}, ${size}×${size} outputs, ${timer.method} timing; vec4 FMA peak ${peak.toFixed(1)} GFLOPS (this run)`);
      for (const variant of tuned.variants) io.stdout(`  ${variant.name.padEnd(14)} ${variant.supported ? 'offered' : `not offered: ${variant.reason}`}`);
      io.stdout('');
      io.stdout(`${'layer shape'.padEnd(20)} ${'variant'.padEnd(14)} ${'ms'.padStart(9)} ${'GFLOPS'.padStart(9)} ${'% peak'.padStart(7)}  chosen`);
      for (const l of layers) {
        for (const [name, ms] of Object.entries(l.timings) as [ConvKernelName, number][]) {
          const gflops = l.flops / (ms * 1e6);
          io.stdout(`${l.shape.padEnd(20)} ${name.padEnd(14)} ${ms.toFixed(3).padStart(9)} ${gflops.toFixed(1).padStart(9)} ${((100 * gflops) / peak).toFixed(1).padStart(6)}%  ${l.chosen === name ? '*' : ''}`);
        }
      }
      if (note) io.stdout(`\n${note}.`);
      if (cache) io.stdout(`\nsaved to ${cache}: createUpscaler(…, { kernels: 'auto' }) uses these.`);
      return 0;
    } finally {
      device.destroy();
    }
  },
};
