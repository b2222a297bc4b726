// Training data from folders, for Node, Bun and Deno: listing, pairing, probing, decoding.
export { openTrainingSet, DEFAULT_MEMORY_BUDGET, type TrainingSet, type TrainingSetSpec } from './open.js';
export { trainingFiles, listImageFiles, TRAINING_EXTENSIONS, type TrainingFile } from './folders.js';
export { probeImageShape, shapeFromBytes, type ImageShape } from './probe.js';
export { createPrefetchingSampler, type PrefetchingSampler, type PrefetchOptions } from './prefetch.js';
