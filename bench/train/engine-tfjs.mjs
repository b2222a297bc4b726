// TF.js on its WebGPU backend training the same networks from the same state dict on the same
// batches: tf ops in NHWC (HWIO filters, transposed once at load; the batches are given to it in
// NHWC, transposed outside the timed steps), pixel shuffle written with PyTorch's channel order
// and nearest upsampling as resizeNearestNeighbor (both give PyTorch's function, so the first
// loss must match wgsr's), L1 loss, tf.train.adam with the same lr, betas and eps. TF.js's Adam
// folds the bias correction into the step size and adds eps to sqrt(v) unscaled, so losses after
// the first step drift slightly from PyTorch's; the work per step is the same.
import { installWebGpuGlobals } from '../engines/gpu-globals.mjs';
import { registerAllGradients } from './tfjs-gradients.mjs';

let tf;

export const label = 'TF.js WebGPU';

export async function start() {
  const { adapter } = await installWebGpuGlobals();
  tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  await registerAllGradients();
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
  await tf.ready();
  return { adapter: adapter?.info?.description || 'webgpu' };
}

const nhwc = (t) => tf.transpose(t, [0, 2, 3, 1]);

/** F.pixel_shuffle(x, r) in NHWC: channel c·r² + i·r + j goes to pixel (y·r + i, x·r + j). */
function pixelShuffle(x, r) {
  const [n, h, w, cr] = x.shape;
  const c = cr / (r * r);
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, c, r, r]), [0, 1, 4, 2, 5, 3]), [n, h * r, w * r, c]);
}

export function load(name, stateDict, { lr, betas, eps }) {
  const vars = new Map();
  for (const [key, t] of stateDict) {
    const fixed = key.startsWith('sub_mean') || key.startsWith('add_mean');
    const value = t.shape.length === 4 ? tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape), [2, 3, 1, 0])) : tf.tensor1d(t.data);
    vars.set(key, fixed ? value : tf.variable(value, true, key));
  }
  const conv = (x, n) => tf.add(tf.conv2d(x, vars.get(`${n}.weight`), 1, 'same'), vars.get(`${n}.bias`));
  const network = name === 'srvgg' ? srvgg(vars, conv) : edsr(vars, conv);
  const optimizer = tf.train.adam(lr, betas[0], betas[1], eps);
  const trainable = [...vars.values()].filter((v) => v instanceof tf.Variable);
  return {
    /** One training step; resolves with the loss (read back, so the step is done). */
    async step(lrNhwc, hrNhwc) {
      const loss = optimizer.minimize(() => tf.mean(tf.abs(tf.sub(network(lrNhwc), hrNhwc))), true, trainable);
      const value = (await loss.data())[0];
      loss.dispose();
      return value;
    },
    upload: (batch) => ({ lr: tf.tidy(() => nhwc(tf.tensor4d(batch.lr.data, batch.lr.shape))), hr: tf.tidy(() => nhwc(tf.tensor4d(batch.hr.data, batch.hr.shape))) }),
    destroy: () => tf.disposeVariables(),
  };
}

function srvgg(vars, conv) {
  const last = Math.max(...[...vars.keys()].map((k) => Number(/^body\.(\d+)\./.exec(k)?.[1] ?? 0)));
  return (x) => {
    let h = x;
    for (let i = 0; i < last; i += 2) h = tf.prelu(conv(h, `body.${i}`), vars.get(`body.${i + 1}.weight`));
    const out = pixelShuffle(conv(h, `body.${last}`), 4);
    return tf.add(out, tf.image.resizeNearestNeighbor(x, [x.shape[1] * 4, x.shape[2] * 4]));
  };
}

function edsr(vars, conv) {
  const blocks = [...vars.keys()].filter((k) => /^body\.\d+\.body\.0\.weight$/.test(k)).length;
  const shift = (x, n) => tf.add(x, tf.reshape(vars.get(`${n}.bias`), [1, 1, 1, 3]));
  return (x) => {
    const head = conv(shift(x, 'sub_mean'), 'head.0');
    let res = head;
    for (let i = 0; i < blocks; i++) res = tf.add(conv(tf.relu(conv(res, `body.${i}.body.0`)), `body.${i}.body.2`), res);
    res = tf.add(conv(res, `body.${blocks}`), head);
    return shift(conv(pixelShuffle(conv(res, 'tail.0.0'), 2), 'tail.1'), 'add_mean');
  };
}
