import { BufferUsage, MapMode } from './constants.js';

/**
 * Waiting for the GPU without keeping a CPU core busy.
 *
 * Dawn for Node settles mapAsync by ticking the device from setImmediate for as long as a
 * request is pending, so awaiting a run keeps one core busy for the whole run (bun-webgpu and
 * Deno use as much CPU). On a CPU adapter that core is one the GPU itself needs: on lavapipe
 * with two cores the waiting thread took 41% of the CPU time of a 32×32 RRDBNet forward. So
 * the executor asks for a run's result only in short probes: map, let the runtime poll the
 * device a few times, and if the run is not done, abort the mapping (unmap) and sleep on a
 * timer, which costs nothing, for a few percent of the time waited so far.
 *
 * Probing from the start would add a few percent to every wait; so once a shape has run, the
 * executor first sleeps through most of the time its last run took (`GpuPacer`). A run that
 * was done at the first probe after that sleep took less than expected, by an unknown amount:
 * the expectation shrinks. An executor's first run is not learned from: adapters that compile
 * shaders at the first dispatch (lavapipe JIT-compiles for seconds) spend that time inside it.
 */

/** Sleep through this share of the expected time before the first probe. */
const SLEEP_SHARE = 0.85;
/** What a run that was done at the first probe does to its shape's expectation. */
const OVERSLEPT_SHRINK = 0.8;
/**
 * The most one run may raise its shape's expectation by, as a factor. A run far slower than
 * expected is more likely a stall of this process than the GPU's new pace: Ctrl-Z and fg, a
 * laptop's sleep, a swapped-out machine. Learned whole, an hour's stop would make every later
 * run sleep for most of an hour first, shrinking by OVERSLEPT_SHRINK a run: hours of sleeping.
 * Doubling at most still follows a GPU that really slowed down within a few runs.
 */
const MAX_GROWTH = 2;
/** Between probes, sleep this share of the time waited so far (the most a result can arrive late, relatively)… */
const PROBE_BACKOFF = 0.03;
/** …and at least this long, ms. */
const MIN_PROBE_INTERVAL_MS = 2;

export interface PacedRun {
  readonly shape: string;
  readonly submittedAt: number;
  /** Its expected GPU time, ms (0: unknown). */
  readonly expectedMs: number;
  /** How long to sleep before the first probe, ms. */
  readonly sleepMs: number;
  readonly learn: boolean;
}

/** How a run's wait ended: the result was there at the first probe, came after more probing, or the wait failed. */
export type WaitOutcome = 'first-probe' | 'probed' | 'failed';

/** Learns how long runs take on the GPU, per input shape, to know when to start probing. */
export class GpuPacer {
  /** Expected GPU time per input shape, ms. */
  private readonly expected = new Map<string, number>();
  /** Submitted runs whose wait has not ended, oldest first (one queue: they end in this order). */
  private readonly pending: PacedRun[] = [];
  /** When the last wait ended: the GPU cannot have started a later run before. */
  private lastEndedAt = 0;
  private runs = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** A run of `shape` was just submitted. */
  submitted(shape: string): PacedRun {
    const now = this.clock();
    // The runs before it go first. One of unknown length counts as taking no time: the runs
    // behind it then sleep less rather than too long.
    let start = this.lastEndedAt;
    for (const r of this.pending) start = Math.max(start, r.submittedAt) + r.expectedMs;
    start = Math.max(start, now);
    const expectedMs = this.expected.get(shape) ?? 0;
    const run = {
      shape,
      submittedAt: now,
      expectedMs,
      sleepMs: expectedMs > 0 ? start + SLEEP_SHARE * expectedMs - now : 0,
      learn: this.runs++ > 0,
    };
    this.pending.push(run);
    return run;
  }

  /**
   * Maps `buffer` once the run of `shape` just submitted is done, waiting as paced (see
   * mapWhenDone), and learns from how the wait went.
   */
  map(shape: string, buffer: GPUBuffer, bytes: number, cancelled: () => Error | undefined): Promise<void> {
    const run = this.submitted(shape);
    return mapWhenDone(buffer, bytes, run.sleepMs, cancelled).then(
      (outcome) => this.ended(run, outcome),
      (e: unknown) => {
        this.ended(run, 'failed');
        throw e;
      },
    );
  }

  /** The wait for `run` ended (waits end in submission order). */
  ended(run: PacedRun, outcome: WaitOutcome): void {
    const now = this.clock();
    const gpuMs = now - Math.max(run.submittedAt, this.lastEndedAt);
    this.lastEndedAt = now;
    const at = this.pending.indexOf(run);
    if (at >= 0) this.pending.splice(at, 1);
    if (!run.learn || outcome === 'failed') return;
    const overslept = outcome === 'first-probe' && run.sleepMs > 0;
    const measured = run.expectedMs > 0 ? Math.min(gpuMs, MAX_GROWTH * run.expectedMs) : gpuMs;
    this.expected.set(run.shape, overslept ? OVERSLEPT_SHRINK * run.expectedMs : measured);
  }
}

/**
 * Maps `buffer` for reading once the GPU is done with the work submitted before, probing as
 * described above after sleeping `sleepMs`; resolves to how (never 'failed': it rejects).
 * `cancelled` is checked before each probe (a destroyed buffer must not be mapped).
 */
export async function mapWhenDone(buffer: GPUBuffer, bytes: number, sleepMs: number, cancelled: () => Error | undefined): Promise<WaitOutcome> {
  const start = performance.now();
  if (sleepMs > 0) await sleep(sleepMs);
  for (let probe = 0; ; probe++) {
    const failure = cancelled();
    if (failure) throw failure;
    const probed: { outcome?: { ok: boolean; error?: unknown } } = {};
    const mapping = buffer.mapAsync(MapMode.READ, 0, bytes).then(
      () => (probed.outcome = { ok: true }),
      (error: unknown) => (probed.outcome = { ok: false, error }),
    );
    await letRuntimePoll();
    if (probed.outcome?.ok) return probe === 0 ? 'first-probe' : 'probed';
    if (probed.outcome) throw probed.outcome.error;
    buffer.unmap(); // aborts the pending mapping
    await mapping;
    await sleep(Math.max(MIN_PROBE_INTERVAL_MS, PROBE_BACKOFF * (performance.now() - start)));
  }
}

/**
 * A pacer for waits on `device`, or undefined where waits should not be paced: in a page,
 * mapAsync already waits without polling, and a background tab throttles timers to once a
 * second or less often; and where unmap does not abort a pending mapping as the WebGPU spec
 * says (Deno's WebGPU settles it later and leaves the buffer in a state unmap rejects), on
 * which probing depends.
 */
export async function pacerFor(device: GPUDevice): Promise<GpuPacer | undefined> {
  return (await probes(device)) ? new GpuPacer() : undefined;
}

/**
 * Maps `buffer` for reading once the GPU is done with the work submitted before: by probing
 * where waits are paced (without a sleep first: nothing is known about how long the work
 * takes), else with plain mapAsync. For one-off waits outside the executor.
 */
export async function mapQuietly(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<void> {
  if (await probes(device)) await mapWhenDone(buffer, bytes, 0, () => undefined);
  else await buffer.mapAsync(MapMode.READ, 0, bytes);
}

/** Whether waits on `device` probe (see pacerFor for where they do not). */
async function probes(device: GPUDevice): Promise<boolean> {
  if (typeof (globalThis as { document?: unknown }).document !== 'undefined') return false;
  return abortsMappings(device);
}

const abortChecks = new WeakMap<GPUDevice, Promise<boolean>>();

function abortsMappings(device: GPUDevice): Promise<boolean> {
  let check = abortChecks.get(device);
  if (!check) {
    check = (async () => {
      const buffer = device.createBuffer({ label: 'mapping abort check', size: 4, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      try {
        const mapping = buffer.mapAsync(MapMode.READ);
        buffer.unmap();
        return await mapping.then(
          () => false,
          (e: unknown) => (e as { name?: unknown } | null)?.name === 'AbortError',
        );
      } finally {
        buffer.destroy();
      }
    })();
    abortChecks.set(device, check);
  }
  return check;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Device ticks a probe allows: a mapping of finished work is delivered at the first or second. */
const PROBE_TICKS = 3;

/**
 * Yields while the runtime ticks the device: Dawn for Node ticks from setImmediate, so a few
 * setImmediate rounds (microseconds) do; elsewhere a timer (about a millisecond).
 */
async function letRuntimePoll(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (!immediate) return sleep(0);
  for (let i = 0; i < PROBE_TICKS; i++) await new Promise<void>((resolve) => immediate(resolve));
}
