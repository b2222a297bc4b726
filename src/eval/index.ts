// PSNR/SSIM with BasicSR's conventions and MATLAB's bicubic imresize (core: no Node imports).
export { imresize, imresizeFloat, resizeAxis, cubic, toUint8, type FloatImage, type ResizeAxis } from './imresize.js';
export { psnr, ssim, gaussianKernel } from './metrics.js';
export { cropBorder, type Plane } from './plane.js';
export { basicsrY, lumaPlane } from './ycbcr.js';
export { scorePair, cropImage, modCrop, matchSizes, dropAlpha, meanScore, type Score } from './score.js';
export { pairByName, matchesHr, stem, type Pair } from './pairing.js';
