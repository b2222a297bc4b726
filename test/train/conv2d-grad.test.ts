import { describe, expect, it } from 'vitest';
import { createTensorBuffer } from '../../src/gpu/buffers.js';
import { imageOf, type BatchedRef } from '../../src/kernels/batched.js';
import { reducePartials } from '../../src/kernels/channel-reduce.js';
import { conv2d, type PackedConv2dWeights } from '../../src/kernels/conv2d.js';
import { sharedLoadSubgroupSize } from '../../src/kernels/conv2d-weights.js';
import { conv2dWeightGrad, weightGradShape } from '../../src/kernels/conv2d-weight-grad.js';
import { packGather } from '../../src/kernels/pack-gather.js';
import type { KernelCall } from '../../src/kernels/program.js';
import { convPackMap, type PackKind } from '../../src/train/pack-map.js';
import { testDevice } from '../helpers/gpu.js';
import { conv2dBackward, conv2dForward } from '../reference/conv2d-grad.js';
import { tensor4, type Tensor4 } from '../reference/tensor4.js';
import { expectMatches, opFixture, type Tolerance } from '../train-reference/fixtures.js';
import { downloadArray, downloadBatch, emptyBatch, limits, placeBatches, randomArray, rng, run, uploadArray, uploadBatch } from './harness.js';

/**
 * The conv's three gradients in f32 against float64: the input gradient sums cout·k² products
 * (through the forward conv kernel with transposed, flipped weights), the weight gradient N·H·W
 * products (vec4 lanes, then chunks in order), the bias gradient N·H·W values. f32 sums of up to
 * a few thousand terms of mixed sign: |Δ| ≤ 1e-5·|ref| + 1e-5 of the largest |ref|.
 */
const GRAD: Tolerance = { rtol: 1e-5, ofMax: 1e-5 };

/** Weights at `offset` of a master buffer, packed on the GPU for `kind` (pack-map.ts). */
async function packOnGpu(weight: Float32Array, shape: [number, number, number, number], bias: Float32Array | undefined, kind: PackKind, subgroupSize: number) {
  const { device } = await testDevice();
  const count = weight.length;
  // The bias sits apart from the weight (as when only one of them is trained).
  const master = await uploadArray(Float32Array.from([0, 0, 0, ...weight, 5, ...(bias ?? [])]));
  const { map, layout } = convPackMap({ shape, bias: Boolean(bias), kind, padToWidestTile: false, subgroupSize });
  const mapBuffer = createTensorBuffer(device, map.byteLength, 'pack map');
  device.queue.writeBuffer(mapBuffer, 0, map);
  const packed = createTensorBuffer(device, map.length * 4, 'packed');
  const call = packGather({ map: mapBuffer, count: map.length, src: master, srcOffset: 3, weightCount: count, biasOffset: 4 + count, packed }, await limits());
  const weights: PackedConv2dWeights = { buffer: packed, ...layout };
  return { call, weights };
}

/** The conv of every image (one dispatch each); with `accumulate`, out += conv. */
function perImage(input: BatchedRef, weights: PackedConv2dWeights, output: BatchedRef, accumulate: boolean, lim: GPUSupportedLimits): KernelCall[] {
  return Array.from({ length: input.batch }, (_, b) => {
    const out = imageOf(output, b);
    return conv2d({ input: imageOf(input, b), weights, output: out, residual: accumulate ? { alpha: 1, r1: out, beta: 1 } : undefined }, lim);
  });
}

async function weightGradOnGpu(x: BatchedRef, gy: BatchedRef, k: number, withBias: boolean, subgroupSize: number): Promise<Float32Array> {
  const shape = weightGradShape(x, gy.channels, k, withBias);
  const partials = await uploadArray(new Float32Array(shape.partials + 6));
  const out = await uploadArray(new Float32Array(shape.elements + 2));
  const lim = await limits();
  await run(
    conv2dWeightGrad({ x, gy, kernelSize: k, withBias, partials: { buffer: partials, offset: 6 }, subgroupSize }, lim),
    reducePartials({ partials: { buffer: partials, offset: 6 }, groups: shape.elements, count: shape.chunks, output: { buffer: out, offset: 2 } }, lim),
  );
  return downloadArray(out, 2, shape.elements);
}

const FIXTURES = ['conv2d_16x16_k3', 'conv2d_16x48_k3', 'conv2d_3x16_k3', 'conv2d_3x16_k9', 'conv2d_48x8_k3', 'conv2d_8x8_k1'];

describe('conv2d gradients', () => {
  for (const name of FIXTURES) {
    it(`${name}: forward through the packed copy, input, weight and bias gradients vs PyTorch`, async () => {
      const { device } = await testDevice();
      const f = opFixture(name);
      const meta = f.meta as { n: number; cin: number; cout: number; k: number; h: number; w: number };
      const shape = [meta.cout, meta.cin, meta.k, meta.k] as [number, number, number, number];
      const weight = f.npy('weight').data;
      const bias = f.npy('bias').data;
      const x = await uploadBatch(f.t4('x'));
      const gy = await uploadBatch(f.t4('gy'));
      const lim = await limits();
      const sg = sharedLoadSubgroupSize(device);
      const fwd = await packOnGpu(weight, shape, bias, 'forward', sg);
      const bwd = await packOnGpu(weight, shape, undefined, 'input_grad', sg);
      const y = await emptyBatch(meta.n, meta.cout, meta.h, meta.w);
      const gx = await emptyBatch(meta.n, meta.cin, meta.h, meta.w);
      await run(fwd.call, bwd.call, ...perImage(x, fwd.weights, y, false, lim), ...perImage(gy, bwd.weights, gx, false, lim));
      expectMatches(`${name} y (sg ${sg})`, await downloadBatch(y), f.npy('y').data, GRAD);
      expectMatches(`${name} gx (sg ${sg})`, await downloadBatch(gx), f.npy('gx').data, GRAD);
      const g = await weightGradOnGpu(x, gy, meta.k, true, sg);
      const nw = weight.length;
      expectMatches(`${name} gweight (sg ${sg})`, g.subarray(0, nw), f.npy('gweight').data, GRAD);
      expectMatches(`${name} gbias (sg ${sg})`, g.subarray(nw), f.npy('gbias').data, GRAD);
    });
  }

  const odd: [string, number, number, number, number, number, number][] = [
    // name, n, cin, cout, k, h, w
    ['k3, 20→13 channels, 11×13, batch 3 (scalar loads, ragged tiles)', 3, 20, 13, 3, 11, 13],
    ['k3, 40→24, 9×16, batch 2 (vec4 loads, bands past the last row)', 2, 40, 24, 3, 9, 16],
    ['k1, 7→35, 6×8, batch 2', 2, 7, 35, 1, 6, 8],
    ['k9, 5→9, 10×7, batch 2', 2, 5, 9, 9, 10, 7],
  ];
  for (const [what, n, cin, cout, k, h, w] of odd) {
    it(`${what}: weight gradient and accumulated input gradient vs the reference`, async () => {
      const { device } = await testDevice();
      const r = rng(100 + cin * k);
      const xT = tensor4(n, cin, h, w, randomArray(r, n * cin * h * w));
      const gyT = tensor4(n, cout, h, w, randomArray(r, n * cout * h * w));
      const weight = randomArray(r, cout * cin * k * k, 0.3);
      const before = tensor4(n, cin, h, w, randomArray(r, n * cin * h * w));
      const shape = [cout, cin, k, k] as [number, number, number, number];
      const ref = conv2dBackward(xT, weight, shape, gyT);
      // x is a channel slice of a wider strided batch, as a dense block's concatenation is.
      const placed = await placeBatches(8 + n * (cin + 3) * h * w, [{ t: xT, offset: 8 + h * w, stride: (cin + 3) * h * w }]);
      const x = placed.refs[0]!;
      const gy = await uploadBatch(gyT);
      const sg = sharedLoadSubgroupSize(device);
      const g = await weightGradOnGpu(x, gy, k, true, sg);
      expectMatches(`${what} gweight (sg ${sg})`, g.subarray(0, weight.length), ref.gweight, GRAD);
      expectMatches(`${what} gbias (sg ${sg})`, g.subarray(weight.length), ref.gbias, GRAD);
      const bwd = await packOnGpu(weight, shape, undefined, 'input_grad', sg);
      const gx = await uploadBatch(before);
      await run(bwd.call, ...perImage(gy, bwd.weights, gx, true, await limits()));
      expectMatches(`${what} gx accumulated (sg ${sg})`, await downloadBatch(gx), ref.gx.data.map((v, i) => v + before.data[i]!), GRAD);
    });
  }

  it('the weight gradient without subgroups (each invocation loads its own gy): vec4 and scalar loads', async () => {
    // The conv kernels' own no-subgroup variants are the inference tests' (test/kernels).
    for (const [n, cin, cout, h, w] of [[2, 40, 24, 9, 16], [3, 20, 13, 11, 13]]) {
      const r = rng(130 + cin);
      const xT = tensor4(n!, cin!, h!, w!, randomArray(r, n! * cin! * h! * w!));
      const gyT = tensor4(n!, cout!, h!, w!, randomArray(r, n! * cout! * h! * w!));
      const ref = conv2dBackward(xT, new Float32Array(cout! * cin! * 9), [cout!, cin!, 3, 3], gyT);
      const g = await weightGradOnGpu(await uploadBatch(xT), await uploadBatch(gyT), 3, true, 0);
      expectMatches(`${cin}→${cout} ${w}-wide gweight (no subgroups)`, g.subarray(0, cout! * cin! * 9), ref.gweight, GRAD);
      expectMatches(`${cin}→${cout} ${w}-wide gbias (no subgroups)`, g.subarray(cout! * cin! * 9), ref.gbias, GRAD);
    }
  });

  it('the forward pack map reproduces the conv (k3, 5→6, bias): a map made from indices', async () => {
    const r = rng(120);
    const xT: Tensor4 = tensor4(1, 5, 6, 7, randomArray(r, 210));
    const weight = randomArray(r, 6 * 5 * 9);
    const bias = randomArray(r, 6);
    const fwd = await packOnGpu(weight, [6, 5, 3, 3], bias, 'forward', sharedLoadSubgroupSize((await testDevice()).device));
    const y = await emptyBatch(1, 6, 6, 7);
    await run(fwd.call, ...perImage(await uploadBatch(xT), fwd.weights, y, false, await limits()));
    expectMatches('y', await downloadBatch(y), conv2dForward(xT, weight, [6, 5, 3, 3], bias).data, GRAD);
    expect(() => conv2dWeightGrad({ x: { ...y, width: 3 }, gy: y, kernelSize: 3, withBias: false, partials: { buffer: y.buffer, offset: 0 }, subgroupSize: 0 })).toThrow(/gy \(spatially\)/);
  });
});
