import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { forgetKernelChoices, type KernelChoiceStore } from '../../src/engine/kernel-cache.js';
import { graphConvShapes, selectConvKernels } from '../../src/engine/kernels.js';
import type { AdapterDescription } from '../../src/gpu/device.js';
import { PipelineCache } from '../../src/kernels/program.js';
import { loadModel } from '../../src/models/load.js';
import { testDevice } from '../helpers/gpu.js';

/**
 * kernels: 'auto' as it runs on a GPU, exercised on the test device by describing it as one
 * (lavapipe itself gets the heuristic): probe, measure, remember, and find it again.
 */
const AS_GPU: AdapterDescription = { vendor: 'test', architecture: 'as-gpu', device: '', description: 'the test device described as a GPU', summary: 'test', isFallbackAdapter: false };

function memoryStore(): KernelChoiceStore & { text?: string } {
  const store: KernelChoiceStore & { text?: string } = {
    where: 'memory',
    read: async () => store.text,
    write: async (t) => void (store.text = t),
  };
  return store;
}

describe("kernels: 'auto' on a GPU", () => {
  beforeEach(() => forgetKernelChoices());

  it('measures every offered variant on the model’s conv shapes once, then uses the stored winners', async () => {
    const { device } = await testDevice();
    const { model } = loadModel(readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth')));
    const pipelines = new PipelineCache(device);
    const store = memoryStore();
    const warnings: string[] = [];
    const common = { option: 'auto' as const, pipelines, graph: model.graph, element: 'f32' as const, adapter: AS_GPU, store, warn: (m: string) => warnings.push(m), budgetMs: 60_000 };
    const first = await selectConvKernels(common);
    expect(first.how).toBe('auto (measured)');
    expect(warnings).toEqual([]);
    const shapes = graphConvShapes(model.graph);
    const stored = JSON.parse(store.text!);
    const entry = stored.entries['test|as-gpu||the test device described as a GPU#f32'];
    expect(Object.keys(entry.choices).sort()).toEqual(['16->16 k3', '16->48 k3', '3->16 k3']);
    for (const s of shapes) expect(['register-tile', 'gemm']).toContain(first.choice(s));
    // A new process: memory forgotten, the file read.
    forgetKernelChoices();
    const again = await selectConvKernels(common);
    expect(again.how).toBe('auto (cached)');
    for (const s of shapes) expect(again.choice(s)).toBe(first.choice(s));
  });

  it('without a measurement in the budget, falls back to the heuristic per shape', async () => {
    const { device } = await testDevice();
    const { model } = loadModel(readFileSync(resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth')));
    const selection = await selectConvKernels({ option: 'auto', pipelines: new PipelineCache(device), graph: model.graph, element: 'f32', adapter: AS_GPU, warn: () => {}, budgetMs: 0 });
    for (const s of graphConvShapes(model.graph)) expect(selection.choice(s)).toBe('gemm'); // the heuristic on a GPU
  });
});
