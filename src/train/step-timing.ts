import { WgsrError } from '../errors.js';
import { BufferUsage } from '../gpu/constants.js';
import { mapQuietly } from '../gpu/pacing.js';
import { encodeCall, type PreparedCall } from '../kernels/program.js';

/**
 * GPU times of every dispatch of one training step, from timestamp queries: each dispatch runs
 * in a compute pass of its own whose start and end the GPU stamps (as graph/profile.ts does for
 * inference). Needs the adapter's `timestamp-query` feature.
 */
export class StepTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly readback: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly count: number,
  ) {
    if (!device.features.has('timestamp-query')) {
      throw new WgsrError('BAD_ARGUMENT', "timing a training step needs the adapter's timestamp-query feature, which this device lacks");
    }
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * count });
    this.resolveBuffer = device.createBuffer({ size: 16 * count, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ size: 16 * count, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  /** Encodes the calls one pass each, stamped, then the copy of the stamps. */
  encode(encoder: GPUCommandEncoder, calls: readonly PreparedCall[]): void {
    if (calls.length !== this.count) throw new Error(`timer for ${this.count} calls given ${calls.length}`);
    calls.forEach((call, i) => {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encodeCall(pass, call);
      pass.end();
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.count, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readback, 0, 16 * this.count);
  }

  /** Milliseconds of each call, once the step's work is done. */
  async read(): Promise<number[]> {
    await mapQuietly(this.device, this.readback, 16 * this.count);
    const stamps = new BigInt64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    return Array.from({ length: this.count }, (_, i) => Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
    this.readback.destroy();
  }
}
