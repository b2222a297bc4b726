// Training batches (core: no Node imports): images, sources, the seeded sampler.
export { Rng, hashString, type RngState } from '../../rng.js';
export { toRgb, bicubicLr, checkPairSizes, preparePair, prepareTrainingPair, type TrainingPair, type PreparedPair, type DegradeMode } from './images.js';
export { memorySource, cachedSource, type ImageSource } from './source.js';
export { drawAugment, cropPlanes, type Augment } from './crop.js';
export { createPatchSampler, type PatchSampler, type PatchSamplerOptions, type SamplerState } from './sampler.js';
export type { ImageBatch, TrainingBatch } from './batch.js';
export { imageToPlanar, planarToImage8, type Planar } from './planar.js';
