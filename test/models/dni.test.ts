import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUpscaler } from '../../src/upscaler.js';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';
import { expectClose } from '../helpers/compare.js';
import { testDevice } from '../helpers/gpu.js';
import { readNpy } from '../helpers/npy.js';
import { randomArray, rng } from '../helpers/synthetic.js';

const DIR = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny');

/** The fixture's SRVGGNetCompact with every weight nudged: a stand-in for the "wdn" variant. */
function perturbed(sd: StateDict): Uint8Array {
  const random = rng(7);
  const out: StateDict = new Map();
  for (const [k, t] of sd) {
    const noise = randomArray(t.data.length, random, 0.05);
    out.set(k, { ...t, data: t.data.map((v, i) => v * (1 + noise[i]!)) });
  }
  return writeSafetensors(out);
}

describe('denoise strength (DNI)', () => {
  const a = new Uint8Array(readFileSync(resolve(DIR, 'model.pth')));
  const b = perturbed(loadWeights(a).stateDict);
  const input = readNpy(resolve(DIR, 'input.npy'));
  const shape = input.shape as [number, number, number, number];

  async function run(bytes: Uint8Array, dni?: { bytes: Uint8Array; strength: number }) {
    const { device } = await testDevice();
    const up = await createUpscaler(bytes, { device, dni });
    try {
      return (await up.forward({ shape, data: input.data })).data;
    } finally {
      up.destroy();
    }
  }

  it('s = 1 gives the first model and s = 0 the second, exactly', async () => {
    const outA = await run(a);
    const outB = await run(b);
    expect(await run(a, { bytes: b, strength: 1 })).toEqual(outA);
    expect(await run(a, { bytes: b, strength: 0 })).toEqual(outB);
    // The two models really differ, so the checks above can fail.
    expect(Math.max(...outA.map((v, i) => Math.abs(v - outB[i]!)))).toBeGreaterThan(1e-3);
  });

  it('a model interpolated with itself gives its own output (|Δ| ≤ 1e-6 + 1e-6·|ref|: one rounding per weight)', async () => {
    expectClose(await run(a, { bytes: a, strength: 0.3 }), await run(a), 1e-6, 1e-6);
  });

  it('refuses two different architectures with a clear error', async () => {
    const rrdb = readFileSync(resolve(__dirname, '../fixtures/models/realesrgan_x4_tiny/model.pth'));
    await expect(run(a, { bytes: rrdb, strength: 0.5 })).rejects.toThrow(/different keys/);
  });
});
