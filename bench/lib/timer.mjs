import { distImport } from './dist.mjs';

const { BufferUsage, MapMode } = await distImport('runtime/gpu-constants.js');

/**
 * Times GPU work. With the `timestamp-query` feature each measurement is the GPU's own time
 * between the start and the end of one compute pass; without it, the wall time from submit to
 * onSubmittedWorkDone (which also counts the submission overhead, so it reads slower).
 */
export class GpuTimer {
  /** @param {GPUDevice} device */
  constructor(device) {
    this.device = device;
    this.method = device.features.has('timestamp-query') ? 'timestamp-query' : 'wall-clock';
    if (this.method === 'timestamp-query') {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
      this.resolve = device.createBuffer({ size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
      this.readback = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    }
  }

  /**
   * Milliseconds one pass takes.
   * @param {(pass: GPUComputePassEncoder) => void} encode
   */
  async time(encode) {
    const { device } = this;
    const encoder = device.createCommandEncoder();
    const timestamps = this.querySet && { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
    const pass = encoder.beginComputePass(timestamps ? { timestampWrites: timestamps } : {});
    encode(pass);
    pass.end();
    if (timestamps) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    }
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - start;
    if (!timestamps) return wall;
    await this.readback.mapAsync(MapMode.READ);
    const [t0, t1] = new BigInt64Array(this.readback.getMappedRange());
    this.readback.unmap();
    return Number(t1 - t0) / 1e6;
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
