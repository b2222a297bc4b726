import { BufferUsage } from './constants.js';

/**
 * Read-back buffers: each run in flight holds one of its own, and collected runs give theirs
 * back for the next. An idle buffer too small for a run is replaced rather than kept, so the
 * pool never holds more buffers than runs were ever in flight at once.
 */
export class StagingPool {
  private idle: GPUBuffer[] = [];
  /** Buffers held by runs in flight. */
  private held = new Set<GPUBuffer>();
  /** Buffers held by runs in flight when the pool was cleared: destroyed when given back. */
  private readonly orphaned = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /** Whether take(bytes) can reuse a buffer rather than create one. */
  hasIdle(bytes: number): boolean {
    return this.idle.some((b) => b.size >= bytes);
  }

  take(bytes: number): GPUBuffer {
    const fit = this.idle.findIndex((b) => b.size >= bytes);
    let buffer: GPUBuffer;
    if (fit >= 0) {
      buffer = this.idle.splice(fit, 1)[0]!;
    } else {
      this.idle.pop()?.destroy();
      buffer = this.device.createBuffer({ label: 'read-back', size: Math.ceil(bytes / 16) * 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    }
    this.held.add(buffer);
    return buffer;
  }

  /** A held buffer comes back, unmapped first if its run mapped it. */
  give(buffer: GPUBuffer): void {
    if (buffer.mapState === 'mapped') buffer.unmap();
    if (this.held.delete(buffer)) this.idle.push(buffer);
    else if (this.orphaned.delete(buffer)) buffer.destroy();
  }

  /** Frees the idle buffers; held ones are freed when given back. */
  clear(): void {
    for (const b of this.idle) b.destroy();
    this.idle = [];
    for (const b of this.held) this.orphaned.add(b);
    this.held = new Set();
  }

  /** Frees every buffer now, held ones included (their pending mappings fail). */
  destroy(): void {
    this.clear();
    for (const b of this.orphaned) b.destroy();
    this.orphaned.clear();
  }
}
