import { describe, expect, it } from 'vitest';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { buildTraining } from '../../src/train/build.js';
import { stateBytes, stepMemory, type StepMemory } from '../../src/train/memory-report.js';
import { opAccess } from '../../src/train/ops.js';
import { DEFAULT_MAX_MEMORY } from '../../src/upscaler.js';
import type { StateDict } from '../../src/weights/types.js';
import { edsr, rrdbnet, srgan, srvgg } from '../helpers/architectures.js';

/**
 * What a training step needs, planned without a device at the networks' real sizes (the weights
 * are zeros; only shapes matter). The issue's two cases must fit the default 1 GiB budget on an
 * adapter that binds 128 MiB per buffer (lavapipe's limit, the smallest wgsr meets) with
 * subgroups of 8.
 */
const LAVAPIPE_BINDING = 128 * 2 ** 20;
const SUBGROUP = 8;

function plan(sd: StateDict, batch: number, side: number): StepMemory {
  const graph = buildModel(sd, detectArchitecture(sd)).graph;
  const { program, layout } = buildTraining(graph, { fileKeys: new Set(sd.keys()), frozen: [] });
  return stepMemory(program, layout, stateBytes(program, layout, SUBGROUP), LAVAPIPE_BINDING, batch, side, side);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const describeMemory = (m: StepMemory) =>
  `total ${mib(m.total)}: activations ${mib(m.activations)} (minimum ${mib(m.minimumActivations)}), parameters + gradients ${mib(m.parameters)}, ` +
  `Adam ${mib(m.optimizer)}, packed weights ${mib(m.packedWeights)}, scratch ${mib(m.scratch)}, target ${mib(m.batchData)}, other ${mib(m.other)}`;

describe('training memory', () => {
  it('SRVGGNetCompact 32/10 ×4, batch 16 × 32² fits the default budget', () => {
    const m = plan(srvgg(32, 10, 4), 16, 32);
    console.log(`SRVGG 32/10, 16 × 32²: ${describeMemory(m)}`);
    expect(m.total).toBeLessThanOrEqual(DEFAULT_MAX_MEMORY);
    // The planner keeps the activations within 1.25× of what must be live at once.
    expect(m.activations).toBeLessThanOrEqual(1.25 * m.minimumActivations);
  });

  it('RRDBNet x4plus (fine-tuning), batch 2 × 32² fits the default budget', () => {
    const m = plan(rrdbnet(4, 23), 2, 32);
    console.log(`RRDBNet x4plus, 2 × 32²: ${describeMemory(m)}`);
    expect(m.total).toBeLessThanOrEqual(DEFAULT_MAX_MEMORY);
    expect(m.activations).toBeLessThanOrEqual(1.25 * m.minimumActivations);
  });

  it('EDSR-baseline ×2 batch 16 × 48² (the benchmark) and SRGAN batch 16 × 24² are planned too', () => {
    for (const [what, sd, n, side] of [['EDSR-baseline ×2, 16 × 48²', edsr(2, 16, 64), 16, 48], ['SRGAN ×4, 16 × 24²', srgan(16, 64), 16, 24]] as const) {
      const m = plan(sd, n, side);
      console.log(`${what}: ${describeMemory(m)}`);
      expect(m.total).toBeLessThanOrEqual(DEFAULT_MAX_MEMORY);
    }
  });

  it("keeps only what the backward needs: a dense block's conv outputs before LeakyReLU are not kept", () => {
    const graph = buildModel(rrdbnet(4, 1, 8, 4), detectArchitecture(rrdbnet(4, 1, 8, 4))).graph;
    const { program } = buildTraining(graph, { fileKeys: new Set(rrdbnet(4, 1, 8, 4).keys()), frozen: [] });
    const lastRead = new Map<number, number>();
    program.ops.forEach((op, i) => {
      for (const p of opAccess(op).reads) lastRead.set(p.storage, i);
    });
    // A conv whose output goes through a LeakyReLU: that output's storage is last read in the forward.
    const convOuts = program.ops.filter((op) => op.op === 'activation' && op.node.activation.kind === 'leaky_relu').map((op) => (op as { input: { storage: number } }).input.storage);
    expect(convOuts.length).toBeGreaterThan(0);
    for (const s of convOuts) expect(lastRead.get(s)!).toBeLessThan(program.forwardCount);
  });
});
