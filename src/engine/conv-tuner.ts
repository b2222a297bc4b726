import type { ElementType } from '../gpu/buffers.js';
import { float16BitsToFloat32 } from '../half.js';
import { alignBytes, createTensorBuffer, readFloat32, writeElements } from '../gpu/buffers.js';
import { BufferUsage } from '../gpu/constants.js';
import { conv2d, convFlops, type Conv2dDesc } from '../kernels/conv2d.js';
import { packConv2dWeights } from '../kernels/conv2d-weights.js';
import { convShapeKey, type ConvKernelName, type ConvShape } from '../kernels/conv2d-variants.js';
import { encodeCall, prepareCall, releaseCall, type PipelineCache } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';
import { Rng } from '../rng.js';

/**
 * Measures conv kernels on the device: a correctness probe per variant (against the register
 * tile, which the test suite checks against PyTorch), then the time of each variant on each of
 * a model's conv shapes.
 */

/** `n` values uniform in [-scale, scale) from the project's seeded generator. */
const randomValues = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));

/** One conv's buffers on the device, at a storage precision, and a way to build its call per kernel. */
interface ConvBench {
  desc: (kernel: ConvKernelName) => Conv2dDesc;
  output: TensorRef;
  destroy(): void;
}

function tensorOn(device: GPUDevice, c: number, h: number, w: number, element: ElementType, overflow: GPUBuffer | undefined, values?: Float32Array): TensorRef {
  const bytes = c * h * w * (element === 'f16' ? 2 : 4);
  const buffer = createTensorBuffer(device, alignBytes(bytes), 'conv tuner tensor');
  if (values) writeElements(device, buffer, 0, values, element);
  return { buffer, offset: 0, channels: c, height: h, width: w, half: overflow ? { overflow } : undefined };
}

function convBench(device: GPUDevice, shape: ConvShape, h: number, w: number, element: ElementType, seed: number, epilogue: boolean): ConvBench {
  const rng = Rng.derive(seed);
  const { cin, cout, k } = shape;
  const overflow = element === 'f16' ? createTensorBuffer(device, 4, 'conv tuner overflow flag') : undefined;
  const read = /^(up|unshuffle)(\d+)$/.exec(shape.read);
  const factor = read ? Number(read[2]) : 1;
  const transform: Conv2dDesc['inputTransform'] = !read ? { kind: 'none' } : read[1] === 'up' ? { kind: 'upsample_nearest', factor } : { kind: 'pixel_unshuffle', factor: factor as 2 | 4 };
  const [ic, ih, iw] = !read ? [cin, h, w] : read[1] === 'up' ? [cin, h / factor, w / factor] : [cin / (factor * factor), h * factor, w * factor];
  const input = tensorOn(device, ic, ih, iw, element, overflow, randomValues(rng, ic * ih * iw));
  const output = tensorOn(device, cout, h, w, element, overflow);
  const residual = epilogue ? tensorOn(device, cout, h, w, element, overflow, randomValues(rng, cout * h * w)) : undefined;
  const weights = packConv2dWeights(device, {
    weight: randomValues(rng, cout * cin * k * k, Math.sqrt(3 / (cin * k * k))),
    shape: [cout, cin, k, k],
    bias: randomValues(rng, cout),
    label: `tuner ${convShapeKey(shape)}`,
  });
  const buffers = [input.buffer, output.buffer, weights.buffer, residual?.buffer, overflow].filter((b): b is GPUBuffer => b !== undefined);
  return {
    output,
    desc: () => ({
      input,
      inputTransform: transform,
      weights,
      output,
      activation: epilogue ? { kind: 'leaky_relu', slope: 0.2 } : undefined,
      residual: residual && { alpha: 0.2, r1: residual, beta: 1 },
      label: `tuner ${convShapeKey(shape)}`,
    }),
    destroy: () => buffers.forEach((b) => b.destroy()),
  };
}

/**
 * Max |Δ| between `kernel` and the register tile on a small conv with every fused step there
 * is (unshuffle read, LeakyReLU, a residual), relative to the reference's largest value.
 */
export async function probeConvKernel(pipelines: PipelineCache, kernel: ConvKernelName, element: ElementType): Promise<number> {
  const { device } = pipelines;
  const shape: ConvShape = { cin: 12, cout: 20, k: 3, read: 'unshuffle2' };
  const bench = convBench(device, shape, 9, 11, element, 7, true);
  try {
    const outputs: Float32Array[] = [];
    for (const name of ['register-tile', kernel] as const) {
      const call = await prepareCall(pipelines, conv2d(bench.desc(name), device.limits, name));
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encodeCall(pass, call);
      pass.end();
      device.queue.submit([encoder.finish()]);
      outputs.push(await readOutput(device, bench.output, element));
      releaseCall(call);
    }
    const [want, got] = outputs as [Float32Array, Float32Array];
    let diff = 0;
    let range = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
      range = Math.max(range, Math.abs(want[i]!));
    }
    return diff / Math.max(range, 1e-12);
  } finally {
    bench.destroy();
  }
}

async function readOutput(device: GPUDevice, t: TensorRef, element: ElementType): Promise<Float32Array> {
  const n = t.channels * t.height * t.width;
  if (element === 'f32') return readFloat32(device, t.buffer, 0, n);
  const bytes = Math.ceil((n * 2) / 4) * 4;
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(1 /* GPUMapMode.READ */);
  const half = new Uint16Array(staging.getMappedRange().slice(0), 0, n);
  staging.unmap();
  staging.destroy();
  return float16BitsToFloat32(half);
}

export interface ShapeTiming {
  shape: ConvShape;
  /** Milliseconds per dispatch, per kernel (median of the timed runs); absent where not timed. */
  ms: Partial<Record<ConvKernelName, number>>;
  flops: number;
}

/**
 * Times each kernel on each shape at h×w (the first dispatch compiles and is not timed), the
 * median of `runs` runs. Stops timing new (shape, kernel) pairs once `budgetMs` of wall time is
 * spent; pairs left untimed stay absent.
 */
export async function timeConvKernels(
  pipelines: PipelineCache,
  shapes: readonly ConvShape[],
  kernels: readonly ConvKernelName[],
  element: ElementType,
  options: { height: number; width: number; runs: number; budgetMs: number },
): Promise<ShapeTiming[]> {
  const { device } = pipelines;
  const start = performance.now();
  const timer = new PassTimer(device);
  const results: ShapeTiming[] = [];
  try {
    for (const [i, shape] of shapes.entries()) {
      const { height: h, width: w } = options;
      const bench = convBench(device, shape, h, w, element, 100 + i, false);
      const timing: ShapeTiming = { shape, ms: {}, flops: convFlops(shape.cin, shape.cout, shape.k, h * w) };
      try {
        for (const kernel of kernels) {
          if (performance.now() - start > options.budgetMs) break;
          const call = await prepareCall(pipelines, conv2d(bench.desc(kernel), device.limits, kernel));
          await timer.time(call); // compile and warm up
          const times: number[] = [];
          for (let r = 0; r < options.runs; r++) times.push(await timer.time(call));
          times.sort((a, b) => a - b);
          timing.ms[kernel] = times[Math.floor(times.length / 2)]!;
          releaseCall(call);
        }
      } finally {
        bench.destroy();
      }
      results.push(timing);
    }
  } finally {
    timer.destroy();
  }
  return results;
}

/** One dispatch's time: from timestamp queries where the device has them, else submit → done. */
export class PassTimer {
  private readonly query?: { set: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer };
  /** 'timestamp-query' (GPU time of the pass) or 'wall-clock' (submit to done). */
  readonly method: string;

  constructor(private readonly device: GPUDevice) {
    if (device.features.has('timestamp-query')) {
      this.query = {
        set: device.createQuerySet({ type: 'timestamp', count: 2 }),
        resolve: device.createBuffer({ size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC }),
        read: device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST }),
      };
    }
    this.method = this.query ? 'timestamp-query' : 'wall-clock';
  }

  time(call: Parameters<typeof encodeCall>[1]): Promise<number> {
    return this.timeEncoded((pass) => encodeCall(pass, call));
  }

  async timeEncoded(encode: (pass: GPUComputePassEncoder) => void): Promise<number> {
    const { device, query } = this;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass(query ? { timestampWrites: { querySet: query.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    encode(pass);
    pass.end();
    if (query) {
      encoder.resolveQuerySet(query.set, 0, 2, query.resolve, 0);
      encoder.copyBufferToBuffer(query.resolve, 0, query.read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    if (!query) {
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    }
    await query.read.mapAsync(1 /* GPUMapMode.READ */);
    const [a, b] = new BigInt64Array(query.read.getMappedRange().slice(0));
    query.read.unmap();
    return Number(b! - a!) / 1e6;
  }

  destroy(): void {
    this.query?.set.destroy();
    this.query?.resolve.destroy();
    this.query?.read.destroy();
  }
}
