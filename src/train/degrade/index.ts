// Real-ESRGAN's degradation model (core: no Node imports; JPEG through an injected codec).
export { REALESRGAN_DEFAULTS, BLUR_KERNEL_TYPES, RESIZE_MODES, type DegradationOptions, type StageOptions, type BlurKernelType, type ResizeMode } from './params.js';
export { drawPlan, type DegradationPlan } from './plan.js';
export { degradeWithPlan, type ChainContext } from './chain.js';
export { jpegLossyCodec, jpegLossyRoundTrip, type ChromaSubsampling } from './jpeg-lossy.js';
export type { JpegCodec } from './jpeg.js';
export { degradedEvalImage, degradedEvalSet, type DegradedEvalImage, type DegradedEvalOptions } from './eval-set.js';
export { bivariateKernel, type BlurKernel } from './kernels.js';
export { sincKernel } from './sinc.js';
export { filter2d } from './filter.js';
export { resizePlanar } from './resize.js';
