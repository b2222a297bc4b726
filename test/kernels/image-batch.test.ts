import { describe, expect, it } from 'vitest';
import { activation, uploadPreluSlopes } from '../../src/kernels/activation.js';
import { conv2d, packConv2dWeights } from '../../src/kernels/conv2d.js';
import { expectClose } from '../helpers/compare.js';
import { offeredConvKernels } from '../helpers/conv-kernels.js';
import { testDevice } from '../helpers/gpu.js';
import { activationRef } from '../reference/activation.js';
import { conv2dRef } from '../reference/conv2d.js';
import { scaledAddRef } from '../reference/scaled-add.js';
import { tensor3, type Tensor3 } from '../reference/tensor.js';
import { upsampleNearestRef } from '../reference/upsample-nearest.js';
import { convTolerance, downloadAll, limits, placeTensors, randomArray, randomTensor, rng, run, SENTINEL } from './harness.js';

/**
 * Several images in one dispatch (training's batches): every image against the CPU reference,
 * with layouts where the images interleave (channel slices of one storage) and gaps between
 * them that must stay untouched.
 */
const KERNELS = await offeredConvKernels('f32');

const slice = (all: Float32Array, offset: number, t: Pick<Tensor3, 'channels' | 'height' | 'width'>) => all.subarray(offset, offset + t.channels * t.height * t.width);

for (const kernel of KERNELS) describe(`conv2d over a batch of images in one dispatch [${kernel}]`, () => {
  it('reads and writes channel slices of one storage per image, PReLU and a residual with its own stride', async () => {
    const [cin, cout, k, h, w, images] = [20, 12, 3, 7, 9, 3];
    const plane = h * w;
    const rand = rng(31);
    const weight = randomArray(rand, cout * cin * k * k, Math.sqrt(3 / (cin * k * k)));
    const bias = randomArray(rand, cout);
    const slopes = randomArray(rand, cout, 0.5);
    const alpha = 0.7;
    const beta = -1.3;
    // Storage per image: [x: cin channels][y: cout channels][8 unused channels], then a gap of 3.
    const stride = (cin + cout + 8) * plane + 3;
    const xs = Array.from({ length: images }, () => randomTensor(rand, cin, h, w));
    const rs = Array.from({ length: images }, () => randomTensor(rand, cout, h, w));
    const rStride = cout * plane + 5;
    const storage = { offset: 4, total: 4 + images * stride };
    const { buffer, refs } = await placeTensors(storage.total + images * rStride, [
      ...xs.map((t, b) => ({ t, offset: storage.offset + b * stride })),
      { t: { channels: cout, height: h, width: w }, offset: storage.offset + cin * plane },
      ...rs.map((t, b) => ({ t, offset: storage.total + b * rStride })),
    ]);
    const { device } = await testDevice();
    const weights = packConv2dWeights(device, { weight, shape: [cout, cin, k, k], bias, preluSlopes: slopes, label: 'batched' });
    await run(
      conv2d(
        {
          input: refs[0]!,
          weights,
          output: refs[images]!,
          activation: { kind: 'prelu' },
          residual: { alpha, r1: refs[images + 1]!, beta },
          images: { count: images, inputStride: stride, outputStride: stride, r1Stride: rStride },
          label: 'batched',
        },
        await limits(),
        kernel,
      ),
    );
    const all = await downloadAll(buffer, storage.total + images * rStride);
    const { atol, rtol } = convTolerance(cin, k);
    for (let b = 0; b < images; b++) {
      const at = storage.offset + b * stride;
      const want = scaledAddRef(alpha, activationRef(conv2dRef(xs[b]!, weight, [cout, cin, k, k], bias), { kind: 'prelu', slopes }), beta, rs[b]!);
      expectClose(slice(all, at + cin * plane, want), want.data, atol, rtol, `image ${b}`);
      expectClose(slice(all, at, xs[b]!), xs[b]!.data, 0, 0, `image ${b}'s input`);
      expect(slice(all, at + (cin + cout) * plane, { channels: 8, height: h, width: w }).every((v) => v === SENTINEL)).toBe(true);
    }
    expect(all.subarray(0, storage.offset).every((v) => v === SENTINEL)).toBe(true);
    for (let b = 0; b < images; b++) expect(all.subarray(storage.offset + b * stride + (cin + cout + 8) * plane, storage.offset + (b + 1) * stride).every((v) => v === SENTINEL)).toBe(true);
  });

  it('reads a nearest-upsampled (×2) input per image', async () => {
    const [cin, cout, k, h, w, images] = [8, 16, 3, 4, 5, 2];
    const rand = rng(32);
    const weight = randomArray(rand, cout * cin * k * k, Math.sqrt(3 / (cin * k * k)));
    const xs = Array.from({ length: images }, () => randomTensor(rand, cin, h, w));
    const inStride = cin * h * w;
    const outStride = cout * 4 * h * w;
    const { refs: inputs } = await placeTensors(images * inStride, xs.map((t, b) => ({ t, offset: b * inStride })));
    const { buffer, refs: outputs } = await placeTensors(images * outStride, [{ t: { channels: cout, height: 2 * h, width: 2 * w }, offset: 0 }]);
    const { device } = await testDevice();
    const weights = packConv2dWeights(device, { weight, shape: [cout, cin, k, k] });
    await run(conv2d({ input: inputs[0]!, inputTransform: { kind: 'upsample_nearest', factor: 2 }, weights, output: outputs[0]!, images: { count: images, inputStride: inStride, outputStride: outStride } }, await limits(), kernel));
    const all = await downloadAll(buffer, images * outStride);
    const { atol, rtol } = convTolerance(cin, k);
    for (let b = 0; b < images; b++) {
      const want = conv2dRef(upsampleNearestRef(xs[b]!, 2), weight, [cout, cin, k, k]);
      expectClose(all.subarray(b * outStride, (b + 1) * outStride), want.data, atol, rtol, `image ${b}`);
    }
  });
});

describe('a batch of images: layouts that would race are refused', () => {
  const shape = { channels: 4, height: 3, width: 3 };
  const image = 4 * 9;
  async function setup() {
    const { device } = await testDevice();
    const weights = packConv2dWeights(device, { weight: new Float32Array(4 * 4 * 9), shape: [4, 4, 3, 3] });
    const { refs } = await placeTensors(8 * image, [
      { t: shape, offset: 0 },
      { t: shape, offset: 4 * image },
    ]);
    return { weights, input: refs[0]!, output: refs[1]!, lim: await limits() };
  }

  it('outputs of two images that overlap', async () => {
    const { weights, input, output, lim } = await setup();
    expect(() => conv2d({ input, weights, output, images: { count: 2, inputStride: image, outputStride: image / 2 } }, lim)).toThrow(/outputs of two images overlap/);
  });

  it("one image's output over another's input", async () => {
    const { weights, input, output, lim } = await setup();
    // Image 1's input starts where image 0's output does.
    expect(() => conv2d({ input, weights, output, images: { count: 2, inputStride: 4 * image, outputStride: image } }, lim)).toThrow(/overlaps the input/);
  });

  it('an image past the end of the buffer', async () => {
    const { weights, input, output, lim } = await setup();
    expect(() => conv2d({ input, weights, output, images: { count: 5, inputStride: image, outputStride: image } }, lim)).toThrow(/output image 4 .* past the end/);
  });

  it('more workgroups along z than the adapter allows', async () => {
    const { weights, input, output, lim } = await setup();
    // The adapter's limits object has getters, which a spread would not copy.
    const few = new Proxy(lim, { get: (t, key) => (key === 'maxComputeWorkgroupsPerDimension' ? 1 : t[key as keyof GPUSupportedLimits]) });
    expect(() => conv2d({ input, weights, output, images: { count: 2, inputStride: 0, outputStride: image } }, few)).toThrow(/2 workgroups along z, over this adapter's 1/);
  });

  it('a count or a stride that is not a count', async () => {
    const { weights, input, output, lim } = await setup();
    expect(() => conv2d({ input, weights, output, images: { count: 0, inputStride: 0, outputStride: 0 } }, lim)).toThrow(/0 images; expected a positive integer/);
    expect(() => conv2d({ input, weights, output, images: { count: 2, inputStride: -1, outputStride: image } }, lim)).toThrow(/input image stride -1/);
  });
});

describe('activation over a batch of images in one dispatch', () => {
  const [c, h, w, images] = [5, 6, 7, 3];
  const plane = h * w;
  const stride = 2 * c * plane + 2;

  it('PReLU per channel on every image, the gaps untouched', async () => {
    const rand = rng(33);
    const xs = Array.from({ length: images }, () => randomTensor(rand, c, h, w));
    const slopes = randomArray(rand, c, 0.5);
    // Per image: [x: c channels][y: c channels][gap of 2].
    const total = images * stride;
    const { buffer, refs } = await placeTensors(total, [...xs.map((t, b) => ({ t, offset: b * stride })), { t: { channels: c, height: h, width: w }, offset: c * plane }]);
    const { device } = await testDevice();
    await run(activation({ input: refs[0]!, output: refs[images]!, activation: { kind: 'prelu' }, slopes: uploadPreluSlopes(device, slopes), images: { count: images, inputStride: stride, outputStride: stride } }, await limits()));
    const all = await downloadAll(buffer, total);
    for (let b = 0; b < images; b++) {
      const want = activationRef(xs[b]!, { kind: 'prelu', slopes });
      expectClose(all.subarray(b * stride + c * plane, b * stride + 2 * c * plane), want.data, 0, 0, `image ${b}`);
      expect(all.subarray(b * stride + 2 * c * plane, (b + 1) * stride).every((v) => v === SENTINEL)).toBe(true);
    }
  });

  it('in place, LeakyReLU', async () => {
    const rand = rng(34);
    const xs = Array.from({ length: images }, () => randomTensor(rand, c, h, w));
    const { buffer, refs } = await placeTensors(images * stride, xs.map((t, b) => ({ t, offset: b * stride })));
    const batch = { count: images, inputStride: stride, outputStride: stride };
    await run(activation({ input: refs[0]!, output: refs[0]!, activation: { kind: 'leaky_relu', slope: 0.2 }, images: batch }, await limits()));
    const all = await downloadAll(buffer, images * stride);
    for (let b = 0; b < images; b++) {
      expectClose(all.subarray(b * stride, b * stride + c * plane), activationRef(xs[b]!, { kind: 'leaky_relu', slope: 0.2 }).data, 0, 0, `image ${b}`);
    }
  });

  it("refuses an output over another image's input", async () => {
    const { refs } = await placeTensors(images * stride, [{ t: tensor3(c, h, w, new Float32Array(c * plane)), offset: 0 }]);
    expect(() => activation({ input: refs[0]!, output: refs[0]!, activation: { kind: 'relu' }, images: { count: 2, inputStride: c * plane, outputStride: 0 } }, undefined)).toThrow(/overlaps the output of another|outputs of two images overlap/);
  });
});
