import { parentPort, workerData } from 'node:worker_threads';
import { isWgsrError } from '../../errors.js';
import type { PreparedPair } from '../../train/data/images.js';
import { createPatchSampler, type PatchSamplerOptions } from '../../train/data/sampler.js';
import { memorySource, type ImageSource } from '../../train/data/source.js';
import { openTrainingSet, type TrainingSetSpec } from './open.js';

/**
 * A worker thread that makes training batches (prefetch.ts starts it). It samples from the
 * pairs it was given (shared memory: no copy), or, for a set larger than the memory budget,
 * opens the folders itself with its share of the budget. Each request names a batch index;
 * batches are pure functions of (seed, index), so which worker makes which batch changes nothing.
 */
export interface WorkerSetup {
  options: PatchSamplerOptions;
  pairs?: readonly PreparedPair[];
  spec?: Omit<TrainingSetSpec, 'onProgress' | 'onNote'>;
}

export type WorkerReply = { index: number; lr: Float32Array; hr: Float32Array } | { index: number; error: { code?: string; message: string } };

const setup = workerData as WorkerSetup;
const port = parentPort!;

async function source(): Promise<ImageSource> {
  if (setup.pairs) return memorySource(setup.pairs);
  return (await openTrainingSet(setup.spec!)).source;
}

const ready = source().then((s) => createPatchSampler(s, setup.options));

port.on('message', async (index: number) => {
  try {
    const batch = await (await ready).batch(index);
    const reply: WorkerReply = { index, lr: batch.lr.data, hr: batch.hr.data };
    port.postMessage(reply, [batch.lr.data.buffer as ArrayBuffer, batch.hr.data.buffer as ArrayBuffer]);
  } catch (e) {
    const error = isWgsrError(e) ? { code: e.code, message: e.message } : { message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    port.postMessage({ index, error } satisfies WorkerReply);
  }
});
