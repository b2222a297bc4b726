import { WgsrError } from '../../errors.js';
import type { Image } from '../../image/types.js';
import { checkPairSizes, prepareTrainingPair, type DegradeMode, type PreparedPair } from '../../train/data/images.js';
import { cachedSource, memorySource, type ImageSource } from '../../train/data/source.js';
import { readImage } from '../../io/read.js';
import { trainingFiles, type TrainingFile } from './folders.js';
import { probeImageShape, type ImageShape } from './probe.js';

/**
 * A training set from folders (see folders.ts for the layouts). Every file's header is read
 * first, so a pair whose sizes do not fit the scale, or an image too small for the patches, is
 * reported by name before any training starts. Then the set is decoded once and held in memory
 * (8- or 16-bit RGB) when it fits `memoryBudget`; otherwise images are decoded when needed and
 * kept in a cache of that size, and `onNote` says so (training is then slower).
 */
export interface TrainingSetSpec {
  hr: string;
  lr?: string;
  scale: number;
  /** LR patch side. */
  patch: number;
  degrade: DegradeMode;
  /** With degrade realesrgan: also make and keep each image's clean bicubic LR (for a share of clean samples). */
  keepCleanLr?: boolean;
  /** Bytes the decoded set may take (default 4 GiB). */
  memoryBudget?: number;
  onProgress?: (decoded: number, total: number) => void;
  onNote?: (line: string) => void;
}

export interface TrainingSet {
  readonly source: ImageSource;
  readonly files: readonly TrainingFile[];
  /** Bytes the whole set takes decoded (RGB, LR included). */
  readonly bytes: number;
  /** Whether the whole set is held in memory. */
  readonly inMemory: boolean;
  /**
   * The pairs, when held in memory: their pixels live in SharedArrayBuffers, so worker threads
   * (prefetch.ts) sample from the same memory instead of copies.
   */
  readonly pairs?: readonly PreparedPair[];
}

export const DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30;

function checkMode(spec: TrainingSetSpec): void {
  if (spec.degrade === 'none' && !spec.lr) throw new WgsrError('BAD_ARGUMENT', 'degrade none trains on the LR images you give: give the LR folder, or choose degrade bicubic or realesrgan');
  if (spec.degrade !== 'none' && spec.lr) throw new WgsrError('BAD_ARGUMENT', `degrade ${spec.degrade} makes the LR images from HR, yet an LR folder was given too; drop one of the two`);
}

/** Bytes of one prepared pair: HR cropped to lrW·s × lrH·s, and the LR when the mode keeps one. */
function preparedBytes(shape: ImageShape, lrWidth: number, lrHeight: number, scale: number, withLr: boolean, lrDepth: 8 | 16): number {
  const hr = lrWidth * scale * lrHeight * scale * 3 * (shape.bitDepth / 8);
  return hr + (withLr ? lrWidth * lrHeight * 3 * (lrDepth / 8) : 0);
}

async function loadPair(file: TrainingFile, spec: TrainingSetSpec): Promise<PreparedPair> {
  const hr = await readImage(file.hrPath);
  const lr = file.lrPath ? await readImage(file.lrPath) : undefined;
  return prepareTrainingPair({ name: file.name, hr, lr }, spec.scale, spec.patch, spec.degrade, spec.keepCleanLr);
}

/** The image's pixels copied into shared memory (posting it to a worker then copies nothing). */
function shareImage(image: Image): Image {
  const bytes = new Uint8Array(new SharedArrayBuffer(image.data.byteLength));
  bytes.set(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
  const data = image.bitDepth === 8 ? new Uint8Array(bytes.buffer) : new Uint16Array(bytes.buffer);
  return { ...image, data };
}

function sharePair(pair: PreparedPair): PreparedPair {
  return { ...pair, hr: shareImage(pair.hr), lr: pair.lr && shareImage(pair.lr) };
}

const UNITS = [
  [2 ** 30, 'GB'],
  [2 ** 20, 'MB'],
  [2 ** 10, 'KB'],
] as const;
const gb = (bytes: number) => {
  const [size, unit] = UNITS.find(([s]) => bytes >= s) ?? UNITS[2];
  return `${(bytes / size).toFixed(1)} ${unit}`;
};

export async function openTrainingSet(spec: TrainingSetSpec): Promise<TrainingSet> {
  checkMode(spec);
  const files = trainingFiles(spec.hr, spec.lr);
  let bytes = 0;
  for (const file of files) {
    const hr = await probeImageShape(file.hrPath);
    const lr = file.lrPath ? await probeImageShape(file.lrPath) : undefined;
    const { lrWidth, lrHeight } = checkPairSizes(file.name, hr, lr, spec.scale, spec.patch);
    bytes += preparedBytes(hr, lrWidth, lrHeight, spec.scale, spec.degrade !== 'realesrgan' || spec.keepCleanLr === true, lr?.bitDepth ?? hr.bitDepth);
  }
  const budget = spec.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  if (bytes > budget) {
    spec.onNote?.(
      `the training set takes ${gb(bytes)} decoded, more than the ${gb(budget)} memory budget: images are decoded again whenever they leave a ${gb(budget)} cache, which slows training; raise the budget, or use fewer or smaller images`,
    );
    return { source: cachedSource(files.length, (i) => loadPair(files[i]!, spec), budget), files, bytes, inMemory: false };
  }
  const pairs: PreparedPair[] = [];
  for (const file of files) {
    pairs.push(sharePair(await loadPair(file, spec)));
    spec.onProgress?.(pairs.length, files.length);
  }
  return { source: memorySource(pairs), files, bytes, inMemory: true, pairs };
}
