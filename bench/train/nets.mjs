// The two networks of the training benchmark, as state dicts with PyTorch's default initialisation
// (nn.Conv2d: weight and bias uniform in ±1/sqrt(fan_in); nn.PReLU: 0.25), from a fixed seed, and
// the FLOPs of one training step (every engine is credited with the same count).
//
// - SRVGGNetCompact ×4, 32 features, 10 body convs (the size of wgsr's bundled model), L1.
// - EDSR-baseline ×2: 64 features, 16 residual blocks, res_scale 1, rgb_range 255, with
//   EDSR-PyTorch's MeanShift (DIV2K mean, std 1) as fixed 1×1 convs, L1.

const DIV2K_MEAN = [0.4488, 0.4371, 0.404];

export const NETWORKS = {
  srvgg: { label: 'SRVGGNetCompact ×4 (32 feat, 10 convs)', scale: 4, batch: 16, patch: 32, range: 1, build: () => srvgg(32, 10, 4) },
  edsr: { label: 'EDSR-baseline ×2 (64 feat, 16 blocks)', scale: 2, batch: 16, patch: 48, range: 255, build: () => edsr(64, 16, 2) },
};

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function convInit(sd, random, name, cout, cin, k = 3) {
  const bound = 1 / Math.sqrt(cin * k * k);
  const u = (n) => Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
  sd.set(`${name}.weight`, { shape: [cout, cin, k, k], data: u(cout * cin * k * k), dtype: 'float32' });
  sd.set(`${name}.bias`, { shape: [cout], data: u(cout), dtype: 'float32' });
}

function srvgg(nf, numConv, scale) {
  const sd = new Map();
  const random = rng(19);
  const prelu = (i) => sd.set(`body.${i}.weight`, { shape: [nf], data: new Float32Array(nf).fill(0.25), dtype: 'float32' });
  convInit(sd, random, 'body.0', nf, 3);
  prelu(1);
  for (let c = 1; c <= numConv; c++) {
    convInit(sd, random, `body.${2 * c}`, nf, nf);
    prelu(2 * c + 1);
  }
  convInit(sd, random, `body.${2 * numConv + 2}`, 3 * scale * scale, nf);
  return sd;
}

function edsr(nf, blocks, scale) {
  const sd = new Map();
  const random = rng(23);
  for (const [name, sign] of [['sub_mean', -1], ['add_mean', 1]]) {
    const weight = new Float32Array(9);
    for (let c = 0; c < 3; c++) weight[c * 4] = 1;
    sd.set(`${name}.weight`, { shape: [3, 3, 1, 1], data: weight, dtype: 'float32' });
    sd.set(`${name}.bias`, { shape: [3], data: Float32Array.from(DIV2K_MEAN, (m) => sign * 255 * m), dtype: 'float32' });
  }
  convInit(sd, random, 'head.0', nf, 3);
  for (let i = 0; i < blocks; i++) {
    convInit(sd, random, `body.${i}.body.0`, nf, nf);
    convInit(sd, random, `body.${i}.body.2`, nf, nf);
  }
  convInit(sd, random, `body.${blocks}`, nf, nf);
  convInit(sd, random, 'tail.0.0', scale * scale * nf, nf);
  convInit(sd, random, 'tail.1', 3, nf);
  return sd;
}

/**
 * FLOPs of one training step: every trained conv's forward, weight gradient and input gradient
 * (2·cin·cout·k²·pixels each), except the input gradient of a conv whose input needs none (the
 * first trained conv). Element-wise work is not counted.
 */
export function trainingFlops(name, sd, batch, patch) {
  const net = NETWORKS[name];
  let flops = 0;
  let first = true;
  for (const [key, t] of sd) {
    if (!key.endsWith('.weight') || t.shape.length !== 4 || key.startsWith('sub_mean') || key.startsWith('add_mean')) continue;
    const [cout, cin, k] = t.shape;
    // EDSR's last conv runs after the upsampler, at HR; every other conv at LR.
    const hr = key === 'tail.1.weight';
    const pixels = batch * (hr ? (patch * net.scale) ** 2 : patch ** 2);
    const conv = 2 * cin * cout * k * k * pixels;
    flops += conv * (first ? 2 : 3);
    first = false;
  }
  return flops;
}
