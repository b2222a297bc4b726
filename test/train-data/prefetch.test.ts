import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Folders from '../../src/runtime/node-train-data/index.js';
import type * as Sampler from '../../src/train/data/sampler.js';
import type * as Keys from '../../src/train/degrade/realesrgan-keys.js';
import { writeImage } from '../../src/io/write.js';
import { Rng } from '../../src/rng.js';

/**
 * Worker threads run compiled JavaScript, so this test runs the prefetcher from dist/ (CI builds
 * before the tests): the batches it makes in two workers must equal, byte for byte, those the
 * one-thread sampler makes, in order, and after a resume.
 */
const dist = resolve(__dirname, '../../dist');
const load = async <T>(file: string) => (await import(pathToFileURL(join(dist, file)).href)) as T;

const root = mkdtempSync(join(tmpdir(), 'wgsr-prefetch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('prefetching sampler (worker threads)', () => {
  it('makes the one-thread sampler’s batches, in order, and resumes', async () => {
    expect(existsSync(join(dist, 'runtime/node-train-data/worker.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const { openTrainingSet, createPrefetchingSampler } = await load<typeof Folders>('runtime/node-train-data/index.js');
    const { createPatchSampler } = await load<typeof Sampler>('train/data/sampler.js');
    const rng = Rng.derive(1);
    for (const name of ['a', 'b', 'c']) {
      const data = Uint8Array.from({ length: 72 * 64 * 3 }, () => rng.int(0, 255));
      await writeImage(join(root, `${name}.png`), { width: 72, height: 64, channels: 3, bitDepth: 8, data });
    }
    const spec = { hr: root, scale: 4, patch: 8, degrade: 'realesrgan' as const };
    const set = await openTrainingSet(spec);
    const options = { scale: 4, patch: 8, batchSize: 3, seed: 4, degrade: 'realesrgan' as const };
    const one = createPatchSampler(set.source, options);
    const want = [await one.next(), await one.next(), await one.next(), await one.next()];
    const workers = createPrefetchingSampler(set, spec, options, { workers: 2 });
    try {
      for (const w of want.slice(0, 3)) {
        const got = await workers.next();
        expect(got.index).toBe(w.index);
        expect(got.lr.shape).toEqual([3, 3, 8, 8]);
        expect(got.lr.data).toEqual(w.lr.data);
        expect(got.hr.data).toEqual(w.hr.data);
      }
      expect(workers.state()).toEqual({ seed: 4, batch: 3 });
    } finally {
      await workers.close();
    }
    const resumed = createPrefetchingSampler(set, spec, options, { workers: 1, resume: { seed: 4, batch: 3 } });
    try {
      expect((await resumed.next()).lr.data).toEqual(want[3]!.lr.data);
    } finally {
      await resumed.close();
    }
    // Degradation settings other than the defaults (wgsr train --degrade-options) reach the workers.
    const { degradationFromRealEsrganKeys } = await load<typeof Keys>('train/degrade/realesrgan-keys.js');
    const mild = { ...options, degradation: degradationFromRealEsrganKeys({ second_blur_prob: 0, noise_range: [0, 1], noise_range2: [0, 1] }, 'test') };
    const wantMild = await createPatchSampler(set.source, mild).next();
    expect(wantMild.lr.data).not.toEqual(want[0]!.lr.data);
    const mildWorkers = createPrefetchingSampler(set, spec, mild, { workers: 1 });
    try {
      expect((await mildWorkers.next()).lr.data).toEqual(wantMild.lr.data);
    } finally {
      await mildWorkers.close();
    }
  });
});
