import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import { fuseGraph } from '../../src/graph/fuse.js';
import { nodeInputs, type ConvWeights, type ValueId } from '../../src/graph/ir.js';
import { planEfficiency, planMemory, plannedBytes, type MemoryPlan } from '../../src/graph/plan.js';
import { alignBytes } from '../../src/gpu/buffers.js';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { createUpscaler } from '../../src/upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import type { StateDict } from '../../src/weights/types.js';
import { edsr, rrdbnet, srgan, srvgg } from '../helpers/architectures.js';
import { testDevice } from '../helpers/gpu.js';
import { trackingDevice } from '../reliability/tracking-device.js';

/** Issue 5: the buffers a plan allocates stay within this factor of the planner's minimum. */
const MAX_RATIO = 1.2;

const BUNDLED = resolve(__dirname, '../../models/default/wgsr-compact-x4.safetensors');

const CASES: [string, () => StateDict][] = [
  ['RRDBNet x4plus (23 blocks)', () => rrdbnet(4, 23)],
  ['RRDBNet x2plus (pixel-unshuffle, 23 blocks)', () => rrdbnet(2, 23)],
  ['RRDBNet anime_6B (6 blocks)', () => rrdbnet(4, 6)],
  ['SRVGGNetCompact, the bundled model', () => loadWeights(readFileSync(BUNDLED)).stateDict],
  ['SRVGGNetCompact realesr-general-x4v3 (64 feat, 32 convs)', () => srvgg(64, 32)],
  ['EDSR baseline x2 (16 blocks, 64 feat)', () => edsr(2, 16, 64)],
  ['EDSR baseline x3 (16 blocks, 64 feat)', () => edsr(3, 16, 64)],
  ['EDSR baseline x4 (16 blocks, 64 feat)', () => edsr(4, 16, 64)],
  ['EDSR x2 (32 blocks, 256 feat)', () => edsr(2, 32, 256)],
  ['EDSR x3 (32 blocks, 256 feat)', () => edsr(3, 32, 256)],
  ['EDSR x4 (32 blocks, 256 feat)', () => edsr(4, 32, 256)],
  ['SRGAN x4 (16 blocks, 64 feat, BatchNorm)', () => srgan()],
];

const planOf = (sd: StateDict) => planMemory(fuseGraph(buildModel(sd, detectArchitecture(sd)).graph));

/**
 * Fails when two values that are live at the same step overlap in the same buffer, except a
 * concat and the inputs placed inside it (they share memory by design). Lifetimes here are the
 * values' own, finer than the storages' the planner works with, so this checks the packing.
 */
function expectNoLiveOverlap(plan: MemoryPlan): void {
  const { graph } = plan;
  const parts = new Map<ValueId, readonly ValueId[]>();
  for (const n of graph.nodes) if (n.op === 'concat') parts.set(n.output, n.inputs);
  const within = (id: ValueId): ValueId[] => [id, ...(parts.get(id) ?? []).flatMap(within)];
  const def = new Map<ValueId, number>([[graph.input, -1]]);
  const last = new Map<ValueId, number>([[graph.output, Infinity]]);
  plan.steps.forEach((step, at) => {
    if (step.kind !== 'node') throw new Error('these graphs plan without copies; a copy step needs its own lifetime rules here');
    def.set(step.node.output, at);
    for (const read of nodeInputs(step.node).flatMap(within)) last.set(read, Math.max(last.get(read) ?? -Infinity, at));
  });
  const spans = [...plan.placements]
    .filter(([id]) => !parts.has(id))
    .map(([id, p]) => {
      const v = graph.values[id]!;
      const plane = (v.num * v.num) / (v.den * v.den);
      return { id, buffer: plan.storages[p.storage]!.buffer, start: p.channelOffset * plane, end: (p.channelOffset + v.channels) * plane, def: def.get(id)!, last: last.get(id) ?? def.get(id)! };
    });
  const contains = (outer: ValueId, inner: ValueId) => within(outer).includes(inner);
  for (const a of spans) {
    for (const b of spans) {
      if (a.id >= b.id || a.buffer !== b.buffer || contains(a.id, b.id) || contains(b.id, a.id)) continue;
      const sharesMemory = a.start < b.end && b.start < a.end;
      const sharesTime = a.def <= b.last && b.def <= a.last;
      if (sharesMemory && sharesTime) expect.fail(`values ${a.id} and ${b.id} overlap in buffer ${a.buffer} while both are live`);
    }
  }
}

describe('the planner\'s minimum', () => {
  it('is the largest sum of what is live at one step, on a graph small enough to count by hand', () => {
    const conv = (name: string, cout: number, cin: number): ConvWeights => ({ weight: new Float32Array(cout * cin * 9), shape: [cout, cin, 3, 3], name });
    const g = new GraphBuilder(3);
    const a = g.conv(g.input, conv('a', 8, 3)); // step 0
    const b = g.conv(a, conv('b', 16, 8)); // step 1
    const u = g.upsampleNearest(b, 2); // step 2: 16 channels at 2× = 64 per input pixel
    const c = g.conv(u, conv('c', 3, 16)); // step 3: 12 per input pixel
    const plan = planMemory(g.build(g.add(c, g.input, 1, 1, 2))); // step 4
    // Live (input 3 until step 4; a 8 at 0–1; b 16 at 1–2; u 64 at 2–3; c 12 at 3–4; output 12 from 4):
    expect(plan.liveSizes).toEqual([3, 3 + 8, 3 + 8 + 16, 3 + 16 + 64, 3 + 64 + 12, 3 + 12 + 12]);
    const { minimum, planned } = planEfficiency(plan);
    expect(minimum).toBe(83);
    expect(planned).toBeGreaterThanOrEqual(minimum);
    expect(plannedBytes(plan, 10, 6).minimum).toBe(83 * 10 * 6 * 4);
    expectNoLiveOverlap(plan);
  });
});

describe('memory plan efficiency on the real architectures', () => {
  it.each(CASES)(`%s: planned buffers ≤ ${MAX_RATIO}× the planner's minimum, no live values overlap`, (name, make) => {
    const plan = planOf(make());
    const { minimum, planned } = planEfficiency(plan);
    console.log(`${name}: minimum ${minimum}, planned ${planned} elements per input pixel (×${(planned / minimum).toFixed(3)}), ${plan.bufferSizes.length} buffers`);
    expect(minimum).toBeGreaterThan(0);
    expect(planned).toBeGreaterThanOrEqual(minimum);
    expect(planned / minimum).toBeLessThanOrEqual(MAX_RATIO);
    expectNoLiveOverlap(plan);
  });
});

describe('GPU bytes the executor really allocates', () => {
  it('match the plan to the byte and stay within 1.2× the minimum (bundled model, one 20×36 tile)', async () => {
    const { device } = await testDevice();
    const counting = trackingDevice(device);
    const bytes = readFileSync(BUNDLED);
    const up = await createUpscaler(bytes, { device: counting.device });
    try {
      const [h, w] = [36, 20];
      await up.forward({ shape: [1, 3, h, w], data: new Float32Array(3 * h * w).fill(0.5) });
      const allocated = counting.liveBytes(/^activations/);
      const plan = planOf(loadWeights(bytes).stateDict);
      // Each buffer holds ⌈weight·h·w⌉ floats, rounded up to 16 bytes.
      expect(allocated).toBe(plan.bufferSizes.reduce((s, perPixel) => s + alignBytes(Math.ceil(perPixel * h * w) * 4), 0));
      const { minimum } = up.memory(h, w) as ReturnType<typeof plannedBytes>;
      console.log(`bundled model, ${w}×${h}: allocated ${allocated} B, minimum ${minimum} B (×${(allocated / minimum).toFixed(3)})`);
      expect(allocated / minimum).toBeLessThanOrEqual(MAX_RATIO);
    } finally {
      up.destroy();
    }
  });
});
