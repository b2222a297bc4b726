import { describe, expect, it } from 'vitest';
import { fuseGraph } from '../../src/graph/fuse.js';
import { planMemory, plannedBytes } from '../../src/graph/plan.js';
import { buildModel } from '../../src/models/registry.js';
import { randomRRDBNet } from '../helpers/synthetic.js';

describe('fusion and memory planning on RRDBNet', () => {
  const { sd, info } = randomRRDBNet({ scale: 4, numFeat: 64, numGrowCh: 32, numBlock: 3, seed: 1 });
  const graph = buildModel(sd, info).graph;
  const fused = fuseGraph(graph);
  const plan = planMemory(fused);

  it('folds every activation, residual add and upsample into the convs', () => {
    const convs = graph.nodes.filter((n) => n.op === 'conv2d').length;
    expect(convs).toBe(3 * 3 * 5 + 6);
    const ops = new Set(fused.nodes.map((n) => n.op));
    expect([...ops].sort()).toEqual(['concat', 'conv2d']);
    expect(fused.nodes.filter((n) => n.op === 'conv2d')).toHaveLength(convs);
    // RRDB's nested residual: the last conv5 of each block does 0.04·y + 0.2·x3 + x0.
    const nested = fused.nodes.filter((n) => n.op === 'conv2d' && n.residual?.r2 !== undefined);
    expect(nested).toHaveLength(3);
    for (const n of nested) {
      if (n.op !== 'conv2d') continue;
      expect(n.residual!.alpha).toBeCloseTo(0.04, 12);
      expect(n.residual!.beta).toBeCloseTo(0.2, 12);
      expect(n.residual!.gamma).toBe(1);
    }
    const upsampled = fused.nodes.filter((n) => n.op === 'conv2d' && n.inputTransform.kind === 'upsample_nearest');
    expect(upsampled.map((n) => (n.op === 'conv2d' ? n.weights.name : ''))).toEqual(['conv_up1', 'conv_up2']);
  });

  it('makes dense concatenation free: no copies, one storage per dense block', () => {
    expect(plan.steps.every((s) => s.kind === 'node')).toBe(true);
    const conv1 = fused.nodes.find((n) => n.op === 'conv2d' && n.weights.name === 'body.0.rdb1.conv1')!;
    const conv5 = fused.nodes.find((n) => n.op === 'conv2d' && n.weights.name === 'body.0.rdb1.conv5')!;
    if (conv1.op !== 'conv2d' || conv5.op !== 'conv2d') throw new Error('unreachable');
    const x = plan.placements.get(conv1.input)!;
    const c1 = plan.placements.get(conv1.output)!;
    expect(c1.storage).toBe(x.storage);
    expect(c1.channelOffset).toBe(64);
    // conv5 reads the whole 64 + 4·32 = 192-channel block from the same storage.
    expect(plan.placements.get(conv5.input)!.storage).toBe(x.storage);
    expect(plan.storages[x.storage]!.channels).toBe(192);
  });

  it('reuses buffers: planned bytes are far below one buffer per value', () => {
    const m = plannedBytes(plan, 64, 64);
    expect(m.planned).toBeLessThan(m.naive / 4);
    // Every buffer is at least as large as any storage assigned to it.
    for (const s of plan.storages) if (s.buffer >= 0) expect(plan.bufferSizes[s.buffer]!).toBeGreaterThanOrEqual(s.elementsPerPixel);
  });

  it('never gives two live storages the same buffer', () => {
    const live = plan.storages.filter((s) => s.buffer >= 0);
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        const a = live[i]!;
        const b = live[j]!;
        if (a.buffer !== b.buffer) continue;
        const disjoint = a.lastUse < b.firstDef || b.lastUse < a.firstDef;
        expect(disjoint).toBe(true);
      }
    }
  });
});
