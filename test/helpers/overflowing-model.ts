import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadWeights } from '../../src/weights/load.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import type { StateDict } from '../../src/weights/types.js';

/**
 * The SRVGGNetCompact fixture with its first conv scaled by 1e5 and the next conv by 1e-5:
 * PReLU is positively homogeneous (prelu(k·x) = k·prelu(x) for k > 0), so the network computes
 * the same function, but its first activations (|x| up to 2.3 in the fixture) now reach ~2e5,
 * far beyond f16's 65504. On black pixels they stay at 1e5·(bias) ≤ 4.7e3, which f16 holds;
 * on white ones they reach 1e5·2.47, which it does not.
 */
export function overflowingSrvgg(): Uint8Array {
  const file = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
  const sd: StateDict = new Map(loadWeights(readFileSync(file)).stateDict);
  const scale = (key: string, k: number) => {
    const t = sd.get(key)!;
    sd.set(key, { ...t, data: t.data.map((v) => v * k) });
  };
  scale('body.0.weight', 1e5);
  scale('body.0.bias', 1e5);
  scale('body.2.weight', 1e-5);
  return writeSafetensors(sd);
}
