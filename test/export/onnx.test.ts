import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportOnnx, graphToOnnx } from '../../src/export/onnx.js';
import { fuseGraph } from '../../src/graph/fuse.js';
import type { Node } from '../../src/graph/ir.js';
import { buildModel, detectArchitecture } from '../../src/models/registry.js';
import { loadWeights } from '../../src/weights/load.js';
import { readNpy } from '../helpers/npy.js';
import { expectWithinRange } from '../helpers/compare.js';

const FIXTURES = resolve(__dirname, '../fixtures/models');

// Node has no Worker for onnxruntime-web's threads; one thread runs the same kernels.
ort.env.wasm.numThreads = 1;

/** onnxruntime-web's wasm backend (CPU) runs the exported file: no part of wgsr executes it. */
async function runOnnx(onnx: Uint8Array, input: { shape: number[]; data: Float32Array }) {
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
    const out = result.output!;
    return { shape: [...out.dims], data: out.data as Float32Array };
  } finally {
    await session.release();
  }
}

describe('ONNX export, run by onnxruntime-web (wasm) against PyTorch', () => {
  // Every architecture and every graph op: pixel_unshuffle (x2 RRDBNet), PReLU + pixel_shuffle +
  // upsampled add (SRVGG), the 2018 key layout, EDSR's 0..255 range, SRGAN's tanh.
  const CASES = ['realesrgan_x4_tiny', 'realesrgan_x2_tiny', 'esrgan_old_x4_tiny', 'srvgg_x4_tiny', 'edsr_x2_tiny', 'edsr_x4_tiny', 'srgan_x4_tiny'];
  for (const name of CASES) {
    it(`${name}: output within 1e-4 of the output's range`, async () => {
      const dir = resolve(FIXTURES, name);
      const input = readNpy(resolve(dir, 'input.npy'));
      const want = readNpy(resolve(dir, 'output.npy'));
      const { onnx } = exportOnnx(readFileSync(resolve(dir, 'model.pth')), { source: name });
      const got = await runOnnx(onnx, input);
      expect(got.shape).toEqual(want.shape);
      expectWithinRange(got.data, want.data, 1e-4, name);
    });
  }

  // A fused graph (pixel-unshuffle and upsampling folded into conv reads, activations and RRDB's
  // two-level residuals into conv epilogues) exports to the same network. Each case first checks
  // that the fusions it is meant to exercise are there.
  const FUSED: Record<string, (convs: Extract<Node, { op: 'conv2d' }>[]) => boolean> = {
    realesrgan_x2_tiny: (convs) =>
      convs.some((n) => n.inputTransform.kind === 'pixel_unshuffle') &&
      convs.some((n) => n.inputTransform.kind === 'upsample_nearest') &&
      convs.some((n) => n.residual?.r2 !== undefined),
    srvgg_x4_tiny: (convs) => convs.some((n) => n.activation.kind === 'prelu'),
  };
  for (const [name, isFused] of Object.entries(FUSED)) {
    it(`${name}, fused graph: output within 1e-4 of the output's range`, async () => {
      const dir = resolve(FIXTURES, name);
      const { stateDict } = loadWeights(readFileSync(resolve(dir, 'model.pth')));
      const fused = fuseGraph(buildModel(stateDict, detectArchitecture(stateDict)).graph);
      expect(isFused(fused.nodes.filter((n) => n.op === 'conv2d'))).toBe(true);
      const input = readNpy(resolve(dir, 'input.npy'));
      const want = readNpy(resolve(dir, 'output.npy'));
      const got = await runOnnx(graphToOnnx(fused), input);
      expect(got.shape).toEqual(want.shape);
      expectWithinRange(got.data, want.data, 1e-4, `${name} fused`);
    });
  }

  it('keeps height and width symbolic: one file runs two input sizes', async () => {
    const dir = resolve(FIXTURES, 'realesrgan_x2_tiny');
    const { onnx } = exportOnnx(readFileSync(resolve(dir, 'model.pth')));
    for (const [h, w] of [[4, 6], [10, 8]] as const) {
      const out = await runOnnx(onnx, { shape: [1, 3, h, w], data: new Float32Array(3 * h * w).fill(0.5) });
      expect(out.shape).toEqual([1, 3, 2 * h, 2 * w]);
    }
  });
});
