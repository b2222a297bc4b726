// The runtime-agnostic core: imports nothing from Node and nothing outside this package.
export { WgsrError, isWgsrError, type WgsrErrorCode } from './errors.js';
export {
  requestWgsrDevice,
  describeAdapter,
  navigatorGpu,
  type AdapterDescription,
  type WgsrDevice,
  type RequestDeviceOptions,
} from './gpu/device.js';
export { runSelfTest } from './gpu/self-test.js';
export * from './weights/index.js';
export { detectArchitecture, SUPPORTED_ARCHITECTURES, type ModelInfo, type Architecture, type RRDBNetInfo, type SRVGGNetCompactInfo, type EDSRInfo, type SRGANInfo } from './models/registry.js';
export { upscaleImage, type Image, type TileNetwork, type UpscaleOptions } from './image/upscale.js';
export type { SubmittedTile } from './image/upscale.js';
export {
  createUpscaler,
  DEFAULT_MAX_MEMORY,
  type Upscaler,
  type UpscalerOptions,
  type UpscalerInfo,
  type Tensor4,
} from './upscaler.js';
export type { ModelOptions } from './models/build.js';
export { imresize, imresizeFloat, psnr, ssim, scorePair, lumaPlane, modCrop, meanScore, type Score, type Plane, type FloatImage } from './eval/index.js';
export { exportOnnx, graphToOnnx, type OnnxExportOptions } from './export/onnx.js';
