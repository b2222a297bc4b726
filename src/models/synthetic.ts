import { convFlops } from '../kernels/conv2d.js';
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
  // 3×3 convs; `pixels` is output pixels per input pixel (4 after one ×2 upsampling, 16 after two).
  const conv = (cin: number, cout: number, pixels = 1) => convFlops(cin, cout, 3, pixels);
  let flops = conv(3, numFeat) + conv(numFeat, numFeat); // conv_first, conv_body
  for (let c = 1; c <= 5; c++) flops += 3 * numBlock * conv(numFeat + (c - 1) * numGrowCh, c === 5 ? numFeat : numGrowCh);
  flops += conv(numFeat, numFeat, 4); // conv_up1
  return flops + 2 * conv(numFeat, numFeat, 16) + conv(numFeat, 3, 16); // conv_up2, conv_hr, conv_last
}
