import { Worker } from 'node:worker_threads';
import { WgsrError, type WgsrErrorCode } from '../../errors.js';
import type { TrainingBatch } from '../../train/data/batch.js';
import type { PatchSampler, PatchSamplerOptions, SamplerState } from '../../train/data/sampler.js';
import type { TrainingSet, TrainingSetSpec } from './open.js';
import type { WorkerReply, WorkerSetup } from './worker.js';

/**
 * Batches made ahead of time in worker threads, so the degradations (CPU work) run while the
 * training step (GPU work) does: next() usually finds its batch ready. The same batches, in the
 * same order, as createPatchSampler on one thread: batch k is a pure function of (seed, k), so
 * the state to save is still { seed, batch } and a resumed run goes on exactly.
 *
 * `ahead` batches are in flight at once (default 2 per worker), each posted to worker k mod
 * `workers`. The JPEG codec in the workers is the core's default (jpegLossyCodec): functions
 * cannot be posted to a thread.
 */
export interface PrefetchOptions {
  workers?: number;
  ahead?: number;
  resume?: SamplerState;
}

export interface PrefetchingSampler extends PatchSampler {
  /** Stops the workers; batches still in flight are dropped. */
  close(): Promise<void>;
}

type Pending = { resolve: (b: TrainingBatch) => void; reject: (e: Error) => void };

export function createPrefetchingSampler(set: TrainingSet, spec: TrainingSetSpec, options: PatchSamplerOptions, o: PrefetchOptions = {}): PrefetchingSampler {
  if (options.codec || options.timeSteps) throw new WgsrError('BAD_ARGUMENT', 'worker threads use the default JPEG codec and take no callbacks; leave codec and timeSteps unset (or sample on this thread)');
  if (o.resume && o.resume.seed !== options.seed) throw new WgsrError('BAD_ARGUMENT', `the saved data state has seed ${o.resume.seed} but this run asks for seed ${options.seed}; resume with the same seed`);
  const count = Math.max(1, Math.floor(o.workers ?? 1));
  const ahead = Math.max(1, Math.floor(o.ahead ?? 2 * count));
  const { onProgress: _p, onNote: _n, ...plainSpec } = spec;
  const setup: WorkerSetup = set.pairs ? { options, pairs: set.pairs } : { options, spec: { ...plainSpec, memoryBudget: Math.floor((spec.memoryBudget ?? set.bytes) / count) } };
  const workers = Array.from({ length: count }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: setup }));
  const waiting = new Map<number, Pending[]>();
  const inFlight = new Map<number, Promise<TrainingBatch>>();
  const { batchSize: n, patch, scale } = options;
  const onReply = (reply: WorkerReply) => {
    const pending = waiting.get(reply.index) ?? [];
    waiting.delete(reply.index);
    for (const p of pending) {
      if ('error' in reply) p.reject(new WgsrError((reply.error.code ?? 'IO') as WgsrErrorCode, reply.error.message));
      else p.resolve({ index: reply.index, lr: { shape: [n, 3, patch, patch], data: reply.lr }, hr: { shape: [n, 3, patch * scale, patch * scale], data: reply.hr } });
    }
  };
  const failAll = (e: Error) => {
    for (const list of waiting.values()) for (const p of list) p.reject(e);
    waiting.clear();
  };
  for (const w of workers) {
    w.on('message', onReply);
    w.on('error', failAll);
  }
  const request = (index: number): Promise<TrainingBatch> =>
    new Promise((resolve, reject) => {
      const list = waiting.get(index);
      if (list) list.push({ resolve, reject });
      else {
        waiting.set(index, [{ resolve, reject }]);
        workers[index % count]!.postMessage(index);
      }
    });
  let nextIndex = o.resume?.batch ?? 0;
  const fill = () => {
    for (let k = nextIndex; k < nextIndex + ahead; k++) {
      if (inFlight.has(k)) continue;
      const p = request(k);
      p.catch(() => undefined); // a batch made ahead may fail before anyone waits for it: next() reports it
      inFlight.set(k, p);
    }
  };
  return {
    async next() {
      fill();
      const index = nextIndex++;
      const batch = inFlight.get(index)!;
      inFlight.delete(index);
      fill();
      return batch;
    },
    batch: (index) => inFlight.get(index) ?? request(index),
    state: () => ({ seed: options.seed, batch: nextIndex }),
    async close() {
      failAll(new WgsrError('ABORTED', 'the batch prefetcher was closed'));
      inFlight.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
