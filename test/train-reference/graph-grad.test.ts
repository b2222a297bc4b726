import { describe, expect, it } from 'vitest';
import { fuseGraph } from '../../src/graph/fuse.js';
import type { Graph } from '../../src/graph/ir.js';
import { buildModel } from '../../src/models/registry.js';
import { detectArchitecture } from '../../src/models/registry.js';
import type { StateDict } from '../../src/weights/types.js';
import { edsr, srvgg } from '../helpers/architectures.js';
import { expectClose } from '../helpers/compare.js';
import { randomArray, randomRRDBNet, rng } from '../helpers/synthetic.js';
import { forwardGraphRef, trainStepRef, type ParamValues } from '../reference/graph-grad.js';
import { runGraphRef } from '../reference/graph.js';
import { lossRef } from '../reference/loss.js';
import { tensor3 } from '../reference/tensor.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';
import { directionalDerivative, dot } from './numeric-grad.js';

/** Random values for every tensor of a state dict (fresh arrays, so each has its own identity). */
function randomized(sd: StateDict, seed: number): StateDict {
  const random = rng(seed);
  return new Map(
    [...sd].map(([key, t]) => {
      const fanIn = t.shape.length === 4 ? t.shape[1]! * t.shape[2]! * t.shape[3]! : 1;
      // PReLU slopes in (0, 0.5) like trained ones; weights scaled to keep activations O(1).
      const data = t.shape.length === 1 && !key.endsWith('bias') ? randomArray(t.data.length, random, 0.25).map((v) => v + 0.25) : randomArray(t.data.length, random, Math.sqrt(3 / fanIn));
      return [key, { ...t, data }];
    }),
  );
}

interface Case {
  name: string;
  sd: StateDict;
  /** LR input size [N, C, h, w]. */
  input: [number, number, number, number];
}

const CASES: Case[] = [
  { name: 'RRDBNet ×4 (upsample, concat, residuals)', sd: randomRRDBNet({ scale: 4, numFeat: 4, numGrowCh: 2, numBlock: 1, seed: 1 }).sd, input: [2, 3, 4, 4] },
  { name: 'RRDBNet ×2 (pixel unshuffle 2)', sd: randomRRDBNet({ scale: 2, numFeat: 4, numGrowCh: 2, numBlock: 1, seed: 2 }).sd, input: [2, 3, 4, 4] },
  { name: 'RRDBNet ×1 (pixel unshuffle 4)', sd: randomRRDBNet({ scale: 1, numFeat: 4, numGrowCh: 2, numBlock: 1, seed: 3 }).sd, input: [1, 3, 8, 8] },
  { name: 'SRVGGNetCompact ×4 (PReLU, upsampled skip)', sd: randomized(srvgg(4, 2, 4), 4), input: [2, 3, 3, 4] },
  { name: 'EDSR ×3 (ReLU, pixel shuffle 3, MeanShift constants)', sd: randomized(edsr(3, 1, 4), 5), input: [2, 3, 3, 3] },
];

function setup(c: Case) {
  const info = detectArchitecture(c.sd, c.name);
  const graph = buildModel(c.sd, info).graph;
  // Train every tensor the graph reads (EDSR's default MeanShift is built, not in the state dict).
  const params = new Map([...c.sd].map(([k, t]) => [k, Float64Array.from(t.data)]));
  const random = rng(c.input.reduce((a, b) => a * 7 + b, 0));
  const [n, ch, h, w] = c.input;
  const lr = tensor4(n, ch, h, w, Float64Array.from({ length: n * ch * h * w }, random));
  const out = forwardGraphRef(graph, params, lr).output;
  const hr = tensor4(out.n, out.c, out.h, out.w, Float64Array.from({ length: out.data.length }, random));
  return { graph, params, lr, hr };
}

const imageOf = (t: Tensor4, b: number) => {
  const size = t.c * t.h * t.w;
  return tensor3(t.c, t.h, t.w, Float32Array.from(t.data.subarray(b * size, (b + 1) * size)));
};

describe('reverse mode over the graph IR', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const s = setup(c);

      it('the batched float64 forward agrees with the per-image inference reference (runGraphRef)', () => {
        const out = forwardGraphRef(s.graph, s.params, s.lr).output;
        // runGraphRef rounds every op's output to float32: ~1e-6 of the values' size.
        for (let b = 0; b < s.lr.n; b++) {
          const want = runGraphRef(s.graph, imageOf(s.lr, b)).data;
          const size = want.length;
          const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          expectClose(out.data.subarray(b * size, (b + 1) * size), want, 1e-5 * scale, 1e-5, `${c.name} image ${b}`);
        }
      });

      it('every parameter gradient is the derivative of the loss (central differences along a random direction)', () => {
        // MSE, whose derivative is smooth; L1's kink is covered by the PyTorch model cases.
        const r = trainStepRef(s.graph, s.params, s.lr, s.hr, 'mse');
        const random = rng(11);
        for (const [key, value] of s.params) {
          const d = Float64Array.from(value, () => random() * 2 - 1);
          const norm = Math.sqrt(dot(d, d));
          d.forEach((v, i) => (d[i] = v / norm));
          const loss = (v: Float64Array) => lossRef('mse', forwardGraphRef(s.graph, new Map([...s.params, [key, v]]), s.lr).output.data, s.hr.data).value;
          // A unit direction and h = 1e-6 move each activation input by ~1e-6, which makes crossing
          // a (Leaky)ReLU or PReLU kink unlikely (with d of unit entries instead, conv_hr's did).
          // Seeds fix every input, so the check is deterministic.
          const fd = directionalDerivative(loss, value, d, 1e-6);
          // The quotient rounds L (float64) and divides by 2h: ~1e-10·L of noise, hence 1e-8·L
          // absolute, plus 1e-6 relative for its O(h²) truncation.
          expectClose([dot(r.grads.get(key)!, d)], [fd], 1e-8 * r.loss, 1e-6, `${c.name} ${key} along d`);
        }
      });

      it('the fused graph (the inference engine\'s) has the same loss and gradients', () => {
        const fused = fuseGraph(s.graph);
        expect(fused.nodes.length).toBeLessThan(s.graph.nodes.length);
        const a = trainStepRef(s.graph, s.params, s.lr, s.hr, 'l1');
        const b = trainStepRef(fused, s.params, s.lr, s.hr, 'l1');
        expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-12 * a.loss);
        for (const [key, g] of a.grads) expectClose(b.grads.get(key)!, g, 1e-12 * Math.max(...g.map(Math.abs)), 1e-10, `${c.name} fused ${key}`);
      });
    });
  }

  it('the fused graphs above exercise every fused form: input transforms, epilogue activations, both residual terms', () => {
    const fused: Graph[] = CASES.map((c) => fuseGraph(setup(c).graph));
    const convs = fused.flatMap((g) => g.nodes).filter((n) => n.op === 'conv2d');
    const kinds = new Set(convs.flatMap((n) => [n.inputTransform.kind === 'none' ? [] : [`${n.inputTransform.kind}×${n.inputTransform.factor}`], n.activation.kind, n.residual ? ['r1'] : [], n.residual?.r2 !== undefined ? ['r2'] : []].flat()));
    for (const k of ['upsample_nearest×2', 'pixel_unshuffle×2', 'pixel_unshuffle×4', 'leaky_relu', 'prelu', 'r1', 'r2']) expect(kinds, k).toContain(k);
  });

  it('a parameter the graph does not read, or of the wrong size, is an error, not a silent zero gradient', () => {
    const s = setup(CASES[3]!);
    const extra: ParamValues = new Map([...s.params, ['body.99.weight', new Float64Array(3)]]);
    expect(() => trainStepRef(s.graph, extra, s.lr, s.hr, 'l1')).toThrow(/body\.99\.weight are not read/);
    const short: ParamValues = new Map([...s.params, ['body.0.bias', new Float64Array(1)]]);
    expect(() => trainStepRef(s.graph, short, s.lr, s.hr, 'l1')).toThrow(/body\.0\.bias: 1 values given/);
  });
});
