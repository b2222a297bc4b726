/// <reference types="@webgpu/types" preserve="true" />
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
export { CONV_VARIANTS, CONV_KERNEL_NAMES, offeredConvVariants, type ConvVariant, type ConvKernelName, type ConvShape } from './kernels/conv2d-variants.js';
export { KERNELS_OPTIONS, isCpuAdapter, tuneConvKernels, graphConvShapes, type KernelsOption, type TuneResult } from './engine/kernels.js';
export { forgetKernelChoices, type KernelChoiceStore } from './engine/kernel-cache.js';
export { WGSR_VERSION } from './version.js';
export * from './weights/index.js';
export { ARCHITECTURES, detectArchitecture, SUPPORTED_ARCHITECTURES, type ModelInfo, type ArchitectureName, type BuiltModel } from './models/registry.js';
export type { Graph } from './graph/ir.js';
export type { LayerTime } from './graph/profile.js';
export type { DeviceFactory } from './engine/engine.js';
export type { Architecture, CommonInfo, ModelOptions } from './models/architecture.js';
export { loadModel, type LoadedModel, type LoadModelOptions } from './models/load.js';
export type { RRDBNetInfo } from './models/rrdbnet.js';
export type { SRVGGNetCompactInfo } from './models/srvgg.js';
export type { EDSRInfo } from './models/edsr.js';
export type { SRGANInfo } from './models/srgan.js';
export { upscaleImage, type Image, type TileNetwork, type UpscaleOptions } from './image/upscale.js';
export type { RowSink, SubmittedTile } from './image/upscale.js';
export {
  createUpscaler,
  DEFAULT_MAX_MEMORY,
  type Upscaler,
  type UpscalerOptions,
  type UpscalerInfo,
  type Tensor4,
  type UpscaleCallOptions,
  type ForwardOptions,
} from './upscaler.js';
export { createTrainer, type Trainer, type TrainerOptions, type OptimizerOptions, type StepMemory, type StepCallTime, type TensorData, type WeightsKind, type SaveOptions } from './trainer.js';
export { imresize, imresizeFloat, psnr, ssim, scorePair, lumaPlane, modCrop, meanScore, type Score, type Plane, type FloatImage } from './eval/index.js';
export { exportOnnx, graphToOnnx, type OnnxExportOptions } from './export/onnx.js';
export {
  imageFromSource,
  imageFromRgba,
  isBrowserImageSource,
  imageToImageData,
  imageToCanvas,
  imageToRgba,
  type BrowserImageSource,
  type BrowserOutputOption,
  type BrowserImageResult,
} from './browser/index.js';
export * from './train/data/index.js';
export * from './train/degrade/index.js';
