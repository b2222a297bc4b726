import type { StateDict } from '../../src/weights/types.js';

/**
 * State dicts of the real architectures at their real sizes, for tests of what depends on
 * shapes only (planning, lowering decisions). Every tensor is a view of one shared zero
 * array: the 256-feature EDSR's 43 M parameters cost no memory. The largest single tensor
 * here is EDSR's ×2 upsampler conv, 4·256 × 256 × 3 × 3.
 */
const zeros = new Float32Array(4 * 256 * 256 * 9);
const tensor = (shape: number[]) => ({ shape, data: zeros.subarray(0, shape.reduce((a, b) => a * b, 1)), dtype: 'float32' as const });

function conv(sd: StateDict, name: string, out: number, inp: number, k = 3): void {
  sd.set(`${name}.weight`, tensor([out, inp, k, k]));
  sd.set(`${name}.bias`, tensor([out]));
}

/** BasicSR RRDBNet: scale 2 and 1 pixel-unshuffle the input first (4× / 16× its channels). */
export function rrdbnet(scale: 1 | 2 | 4, numBlock: number, nf = 64, gc = 32): StateDict {
  const sd: StateDict = new Map();
  conv(sd, 'conv_first', nf, 3 * (scale === 4 ? 1 : scale === 2 ? 4 : 16));
  for (let b = 0; b < numBlock; b++) {
    for (let r = 1; r <= 3; r++) for (let c = 1; c <= 5; c++) conv(sd, `body.${b}.rdb${r}.conv${c}`, c === 5 ? nf : gc, nf + (c - 1) * gc);
  }
  for (const name of ['conv_body', 'conv_up1', 'conv_up2', 'conv_hr']) conv(sd, name, nf, nf);
  conv(sd, 'conv_last', 3, nf);
  return sd;
}

/** Real-ESRGAN's SRVGGNetCompact with per-channel PReLU. */
export function srvgg(numFeat: number, numConv: number, scale = 4): StateDict {
  const sd: StateDict = new Map();
  conv(sd, 'body.0', numFeat, 3);
  sd.set('body.1.weight', tensor([numFeat]));
  for (let c = 1; c <= numConv; c++) {
    conv(sd, `body.${2 * c}`, numFeat, numFeat);
    sd.set(`body.${2 * c + 1}.weight`, tensor([numFeat]));
  }
  conv(sd, `body.${2 * numConv + 2}`, 3 * scale * scale, numFeat);
  return sd;
}

/** EDSR-PyTorch layout, without the MeanShift keys (DIV2K's mean is then built in). */
export function edsr(scale: 2 | 3 | 4, numResBlocks: number, numFeat: number): StateDict {
  const sd: StateDict = new Map();
  conv(sd, 'head.0', numFeat, 3);
  for (let i = 0; i < numResBlocks; i++) {
    conv(sd, `body.${i}.body.0`, numFeat, numFeat);
    conv(sd, `body.${i}.body.2`, numFeat, numFeat);
  }
  conv(sd, `body.${numResBlocks}`, numFeat, numFeat);
  const stages = scale === 3 ? [3] : scale === 4 ? [2, 2] : [2];
  stages.forEach((r, s) => conv(sd, `tail.0.${2 * s}`, r * r * numFeat, numFeat));
  conv(sd, 'tail.1', 3, numFeat);
  return sd;
}

/** The SRGAN generator (16 residual blocks, 64 features, BatchNorm, ×4). */
export function srgan(numResidual = 16, nf = 64): StateDict {
  const sd: StateDict = new Map();
  const bn = (name: string) => {
    for (const p of ['weight', 'bias', 'running_mean']) sd.set(`${name}.${p}`, tensor([nf]));
    sd.set(`${name}.running_var`, { shape: [nf], data: new Float32Array(nf).fill(1), dtype: 'float32' });
  };
  conv(sd, 'block_in.0', nf, 3, 9);
  sd.set('block_in.1.weight', tensor([nf]));
  for (let i = 0; i < numResidual; i++) {
    conv(sd, `blocks.${i}.conv1`, nf, nf);
    bn(`blocks.${i}.bn1`);
    sd.set(`blocks.${i}.prelu.weight`, tensor([nf]));
    conv(sd, `blocks.${i}.conv2`, nf, nf);
    bn(`blocks.${i}.bn2`);
  }
  conv(sd, 'block_out.0', nf, nf);
  bn('block_out.1');
  for (let j = 0; j < 2; j++) {
    conv(sd, `upsample.${j}.conv`, 4 * nf, nf);
    sd.set(`upsample.${j}.prelu.weight`, tensor([nf]));
  }
  conv(sd, 'upsample.2', 3, nf, 9);
  return sd;
}
