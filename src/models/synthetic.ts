import type { StateDict } from '../weights/types.js';

export interface RRDBNetSizes {
  numFeat?: number;
  numBlock?: number;
  numGrowCh?: number;
  seed?: number;
}

/**
 * A BasicSR-layout RRDBNet ×4 state dict with small seeded random weights: the real shapes
 * (Real-ESRGAN x4plus by default: 64 features, 23 blocks, growth 32) for benchmarks that must
 * not depend on a downloaded file.
 */
export function syntheticRRDBNet({ numFeat = 64, numBlock = 23, numGrowCh = 32, seed = 1 }: RRDBNetSizes = {}): StateDict {
  let s = seed >>> 0;
  const random = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 4294967296) * 2 - 1;
  const sd: StateDict = new Map();
  const conv = (name: string, cout: number, cin: number) => {
    const scale = Math.sqrt(1 / (cin * 9));
    sd.set(`${name}.weight`, { shape: [cout, cin, 3, 3], data: Float32Array.from({ length: cout * cin * 9 }, () => random() * scale), dtype: 'float32' });
    sd.set(`${name}.bias`, { shape: [cout], data: Float32Array.from({ length: cout }, () => random() * 0.01), dtype: 'float32' });
  };
  conv('conv_first', numFeat, 3);
  for (let b = 0; b < numBlock; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) conv(`body.${b}.rdb${r}.conv${c}`, c === 5 ? numFeat : numGrowCh, numFeat + (c - 1) * numGrowCh);
    }
  }
  for (const n of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) conv(n, numFeat, numFeat);
  conv('conv_last', 3, numFeat);
  return sd;
}

/** Multiply-adds × 2 of RRDBNet ×4 per input pixel: 35.85 MFLOP at x4plus size. */
export function rrdbnetFlopsPerPixel({ numFeat = 64, numBlock = 23, numGrowCh = 32 }: RRDBNetSizes = {}): number {
  const k = 9;
  let lowRes = 2 * k * 3 * numFeat + 2 * k * numFeat * numFeat; // conv_first, conv_body
  for (let c = 1; c <= 5; c++) lowRes += 3 * numBlock * 2 * k * (numFeat + (c - 1) * numGrowCh) * (c === 5 ? numFeat : numGrowCh);
  const up1 = 4 * 2 * k * numFeat * numFeat;
  const x4 = 16 * (2 * 2 * k * numFeat * numFeat + 2 * k * numFeat * 3); // conv_up2, conv_hr, conv_last
  return lowRes + up1 + x4;
}
