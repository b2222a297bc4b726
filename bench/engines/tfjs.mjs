// TF.js on its WebGPU backend (@tensorflow/tfjs-backend-webgpu): the same RRDBNet written with tf
// ops from the same state dict. TF.js convolutions are NHWC with HWIO filters, so the weights are
// transposed once at load and the input/output transposed inside each forward (counted: it is
// what a TF.js user would have to do with NCHW data).
import { installWebGpuGlobals } from './gpu-globals.mjs';

export const label = 'TF.js WebGPU';

let tf;

export async function createDevice() {
  const { adapter } = await installWebGpuGlobals();
  tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
  await tf.ready();
  return { adapter };
}

export async function load(stateDict, { numBlock }) {
  const convs = new Map();
  for (const [key, t] of stateDict) {
    if (!key.endsWith('.weight')) continue;
    const name = key.slice(0, -'.weight'.length);
    const [cout, cin, k] = t.shape;
    const w = tf.tidy(() => tf.transpose(tf.tensor4d(t.data, [cout, cin, k, k]), [2, 3, 1, 0]));
    const b = tf.tensor1d(stateDict.get(`${name}.bias`).data);
    convs.set(name, { w, b });
  }
  const conv = (x, name) => {
    const { w, b } = convs.get(name);
    return tf.add(tf.conv2d(x, w, 1, 'same'), b);
  };
  const lrelu = (x) => tf.leakyRelu(x, 0.2);
  const up2 = (x) => tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2], false, false);
  const rdb = (x, prefix) => {
    const feats = [x];
    for (let c = 1; c <= 4; c++) feats.push(lrelu(conv(feats.length === 1 ? x : tf.concat(feats, 3), `${prefix}.conv${c}`)));
    return tf.add(tf.mul(conv(tf.concat(feats, 3), `${prefix}.conv5`), 0.2), x);
  };
  const network = (x) => {
    const feat = conv(x, 'conv_first');
    let body = feat;
    for (let b = 0; b < numBlock; b++) {
      let y = body;
      for (let r = 1; r <= 3; r++) y = rdb(y, `body.${b}.rdb${r}`);
      body = tf.add(tf.mul(y, 0.2), body);
    }
    let up = tf.add(feat, conv(body, 'conv_body'));
    up = lrelu(conv(up2(up), 'conv_up1'));
    up = lrelu(conv(up2(up), 'conv_up2'));
    return conv(lrelu(conv(up, 'conv_hr')), 'conv_last');
  };
  return {
    async forward(data, size) {
      const out = tf.tidy(() => tf.transpose(network(tf.transpose(tf.tensor4d(data, [1, 3, size, size]), [0, 2, 3, 1])), [0, 3, 1, 2]));
      const result = await out.data();
      out.dispose();
      return result;
    },
    destroy() {
      for (const { w, b } of convs.values()) tf.dispose([w, b]);
    },
  };
}
