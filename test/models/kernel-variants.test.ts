import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUpscaler } from '../../src/upscaler.js';
import { expectWithinRange } from '../helpers/compare.js';
import { offeredConvKernels } from '../helpers/conv-kernels.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { overflowingSrvgg } from '../helpers/overflowing-model.js';

/**
 * Whole networks through every conv kernel variant the test adapter offers, against PyTorch:
 * a representative subset (RRDBNet with its unshuffle read and nested residuals, EDSR with its
 * scaled residuals and pixel shuffle, SRGAN with 9×9 kernels, PReLU and tanh). The full conv
 * fixture set runs per variant in test/kernels/conv2d.test.ts.
 *
 * Budgets as in fixtures.test.ts (f32: 1e-4 of the output's range) and f16.test.ts (f16
 * activations: 2e-3 of the range, within one 8-bit level, which also bounds f16 math).
 */
const FIXTURES = resolve(__dirname, '../fixtures/models');
const SUBSET = ['realesrgan_x2_tiny', 'edsr_x2_tiny', 'srgan_x4_tiny'];
const BUDGET = { f32: 1e-4, f16: 2e-3 } as const;

for (const precision of ['f32', 'f16'] as const) {
  const kernels = await offeredConvKernels(precision);
  for (const kernel of kernels) {
    describe(`${kernel} with ${precision} activations against PyTorch`, () => {
      for (const name of SUBSET) {
        const dir = resolve(FIXTURES, name);
        it.skipIf(!existsSync(dir))(`${name}: forward within ${BUDGET[precision]} of the output's range`, async () => {
          const { device } = await testDevice();
          const input = readNpy(resolve(dir, 'input.npy'));
          const want = readNpy(resolve(dir, 'output.npy'));
          const warnings: string[] = [];
          const up = await createUpscaler(readFileSync(resolve(dir, 'model.pth')), { device, precision, kernels: kernel, onWarning: (m) => warnings.push(m) });
          try {
            expect(up.kernels).toBe(kernel);
            const got = await up.forward({ shape: input.shape as [number, number, number, number], data: input.data });
            expectWithinRange(got.data, want.data, BUDGET[precision], `${name} ${kernel} ${precision}`);
            expect(warnings).toEqual([]);
          } finally {
            up.destroy();
          }
        });
      }
    });
  }
}

const f16Kernels = await offeredConvKernels('f16');
describe('f16 overflow with every f16 variant', () => {
  // The f32 redo of an overflowing f16-math run uses the f32-math sibling (gemm-f16 → gemm).
  for (const kernel of f16Kernels) {
    it(`${kernel}: activations beyond f16's range are redone in f32 and match PyTorch`, async () => {
      const { device } = await testDevice();
      const dir = resolve(FIXTURES, 'srvgg_x4_tiny');
      const input = readNpy(resolve(dir, 'input.npy'));
      const want = readNpy(resolve(dir, 'output.npy'));
      const warnings: string[] = [];
      const up = await createUpscaler(overflowingSrvgg(), { device, precision: 'f16', kernels: kernel, source: 'big.safetensors', onWarning: (m) => warnings.push(m) });
      try {
        const got = await up.forward({ shape: input.shape as [number, number, number, number], data: input.data });
        expectWithinRange(got.data, want.data, 1e-4, `overflowing SRVGG with ${kernel}`);
        expect(warnings).toEqual([expect.stringMatching(/^big\.safetensors: an activation exceeded f16's range .*finishing in f32$/)]);
      } finally {
        up.destroy();
      }
    });
  }
});

describe('choosing conv kernels', () => {
  const model = () => readFileSync(resolve(FIXTURES, 'srvgg_x4_tiny/model.pth'));

  it('rejects an unknown name, listing the accepted ones', async () => {
    const { device } = await testDevice();
    await expect(createUpscaler(model(), { device, kernels: 'fastest' as never })).rejects.toThrow(
      /kernels must be one of "auto", "heuristic", "register-tile", "gemm", "gemm-f16"; got "fastest"/,
    );
  });

  it('rejects a variant the precision cannot run, listing what runs here', async () => {
    const { device } = await testDevice();
    await expect(createUpscaler(model(), { device, kernels: 'gemm-f16' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringMatching(/"gemm-f16" cannot run here: it runs with f16 activations only, not f32; accepted here: "auto", "heuristic", "register-tile", "gemm"/),
    });
  });

  it('keeps the register tile on this CPU adapter by default, and auto says it uses the heuristic', async () => {
    const { device } = await testDevice();
    const up = await createUpscaler(model(), { device });
    expect(up.kernels).toBe('heuristic: register-tile');
    up.destroy();
    const warnings: string[] = [];
    const auto = await createUpscaler(model(), { device, kernels: 'auto', onWarning: (m) => warnings.push(m) });
    expect(auto.kernels).toBe('heuristic (CPU adapter): register-tile');
    expect(warnings).toEqual([expect.stringMatching(/"auto" on a CPU adapter uses the heuristic \(register-tile\)/)]);
    auto.destroy();
  });
});
