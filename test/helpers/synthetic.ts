import type { RRDBNetInfo } from '../../src/models/rrdbnet.js';
import type { StateDict } from '../../src/weights/types.js';

/** A seeded generator (mulberry32): the same tests see the same numbers on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

/** Random conv weights with a fan-in scaling that keeps activations near unit size. */
function addConv(sd: StateDict, name: string, cout: number, cin: number, k: number, random: () => number) {
  const scale = Math.sqrt(3 / (cin * k * k));
  sd.set(`${name}.weight`, { shape: [cout, cin, k, k], data: randomArray(cout * cin * k * k, random, scale), dtype: 'float32' });
  sd.set(`${name}.bias`, { shape: [cout], data: randomArray(cout, random, 0.05), dtype: 'float32' });
}

/** A BasicSR-layout RRDBNet state dict with random weights, and its ModelInfo. */
export function randomRRDBNet(o: { scale: 1 | 2 | 4; numFeat: number; numGrowCh: number; numBlock: number; seed: number }): { sd: StateDict; info: RRDBNetInfo } {
  const random = rng(o.seed);
  const sd: StateDict = new Map();
  const inCh = 3;
  const firstIn = inCh * (o.scale === 2 ? 4 : o.scale === 1 ? 16 : 1);
  const nf = o.numFeat;
  const gc = o.numGrowCh;
  addConv(sd, 'conv_first', nf, firstIn, 3, random);
  for (let b = 0; b < o.numBlock; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) addConv(sd, `body.${b}.rdb${r}.conv${c}`, c === 5 ? nf : gc, nf + (c - 1) * gc, 3, random);
    }
  }
  for (const name of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) addConv(sd, name, nf, nf, 3, random);
  addConv(sd, 'conv_last', 3, nf, 3, random);
  let params = 0;
  for (const t of sd.values()) params += t.data.length;
  return {
    sd,
    info: { arch: 'RRDBNet', scale: o.scale, inChannels: inCh, outChannels: 3, params, layout: 'basicsr', numFeat: nf, numBlock: o.numBlock, numGrowCh: gc },
  };
}
