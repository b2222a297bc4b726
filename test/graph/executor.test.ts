import { describe, expect, it } from 'vitest';
import { GraphExecutor } from '../../src/graph/executor.js';
import { buildRRDBNet } from '../../src/models/rrdbnet-graph.js';
import { expectClose } from '../helpers/compare.js';
import { testPipelines } from '../helpers/gpu.js';
import { randomArray, randomRRDBNet, rng } from '../helpers/synthetic.js';
import { runGraphRef } from '../reference/graph.js';
import { tensor3 } from '../reference/tensor.js';

// The fused, planned GPU run against the unfused CPU interpretation of the same graph.
// Tolerance: f32 with different summation order over ~200-term dot products through ~20 layers;
// |Δ| ≤ 1e-4 + 1e-4·|ref| (the outputs are O(1)).
const ATOL = 1e-4;
const RTOL = 1e-4;

describe('graph executor', () => {
  for (const [scale, h, w] of [
    [4, 7, 9],
    [2, 6, 10],
    [1, 8, 12],
  ] as const) {
    it(`runs a random RRDBNet ×${scale} on ${w}×${h} like the unfused CPU reference`, async () => {
      const { sd, info } = randomRRDBNet({ scale, numFeat: 12, numGrowCh: 8, numBlock: 2, seed: 10 + scale });
      const graph = buildRRDBNet(sd, info);
      const executor = await GraphExecutor.create(await testPipelines(), graph);
      try {
        const input = randomArray(3 * h * w, rng(scale), 0.5).map((v) => v + 0.5);
        const want = runGraphRef(graph, tensor3(3, h, w, input));
        const got = await executor.run(input, h, w);
        expect(want.height).toBe(h * scale);
        const c = expectClose(got, want.data, ATOL, RTOL, `RRDBNet ×${scale}`);
        expect(c.maxAbs).toBeLessThan(ATOL);
        // Run again at another size: the cached shapes must not leak into each other.
        const m = executor.sizeMultiple;
        const h2 = h + m;
        const input2 = randomArray(3 * h2 * w, rng(99), 0.5);
        expectClose(await executor.run(input2, h2, w), runGraphRef(graph, tensor3(3, h2, w, input2)).data, ATOL, RTOL);
        expectClose(await executor.run(input, h, w), want.data, ATOL, RTOL, 'first size again');
      } finally {
        executor.destroy();
      }
    });
  }
});
