import { distImport } from './dist.mjs';

const { BufferUsage, MapMode } = await distImport('gpu/constants.js');
const { pacerFor } = await distImport('gpu/pacing.js');

/**
 * Times GPU work. With the `timestamp-query` feature each measurement is the GPU's own time
 * between the start and the end of one compute pass; without it, the wall time from submit to
 * the mapping of a buffer written after the pass (which also counts the submission overhead,
 * so it reads slower).
 *
 * It waits the way the executor does (graph/gpu-pacing.ts): Dawn for Node polls the device from
 * a busy core while a mapping is pending, which on a CPU adapter takes a core from the work
 * being timed.
 */
export class GpuTimer {
  /** @param {GPUDevice} device */
  constructor(device) {
    this.device = device;
    this.method = device.features.has('timestamp-query') ? 'timestamp-query' : 'wall-clock';
    if (this.method === 'timestamp-query') {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
      this.resolve = device.createBuffer({ size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    }
    this.readback = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.pacer = pacerFor(device);
    /** A pacing key per encode function: each has its own expected time. */
    this.keys = new WeakMap();
    this.keyCount = 0;
  }

  /**
   * Milliseconds one pass takes.
   * @param {(pass: GPUComputePassEncoder) => void} encode
   */
  async time(encode) {
    const { device, readback } = this;
    const encoder = device.createCommandEncoder();
    const timestamps = this.querySet && { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
    const pass = encoder.beginComputePass(timestamps ? { timestampWrites: timestamps } : {});
    encode(pass);
    pass.end();
    if (timestamps) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, readback, 0, 16);
    } else {
      encoder.clearBuffer(readback);
    }
    const pacer = await this.pacer;
    if (!this.keys.has(encode)) this.keys.set(encode, `pass ${this.keyCount++}`);
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    if (pacer) await pacer.map(this.keys.get(encode), readback, 16, () => undefined);
    else await readback.mapAsync(MapMode.READ);
    const wall = performance.now() - start;
    const [t0, t1] = new BigInt64Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return timestamps ? Number(t1 - t0) / 1e6 : wall;
  }

  /**
   * Median of repeated timings after one warm-up run: at least `minReps`, and more (up to
   * `maxReps`) while the total stays under `budgetMs`.
   */
  async median(encode, { minReps = 3, maxReps = 15, budgetMs = 1500 } = {}) {
    await this.time(encode);
    const times = [];
    let total = 0;
    while (times.length < minReps || (times.length < maxReps && total < budgetMs)) {
      const t = await this.time(encode);
      times.push(t);
      total += t;
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], min: times[0], reps: times.length };
  }
}
