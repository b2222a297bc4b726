// A Node user's code, type-checked (never run) against the packed package under each tsconfig
// of test/package/run.mjs. Uses nothing from Node itself, so it also checks under `tsc --init`'s
// defaults ("types": []): wgsr/node's declarations must not need @types/node.
import * as core from 'wgsr';
import {
  createUpscaler,
  decodeImageAsync,
  defaultModel,
  defaultModelPath,
  encodeImageAsync,
  isWgsrError,
  readImage,
  readImageWithMetadata,
  WgsrError,
  writeImage,
  type DeviceFactory,
  type EncodeOptions,
  type Image,
  type ImageMetadata,
  type LayerTime,
  type ModelBytes,
  type UpscaleCallOptions,
  type Upscaler,
  type UpscalerInfo,
  type UpscalerOptions,
  type WgsrDevice,
  type WriteOptions,
} from 'wgsr/node';

export async function upscaleFile(input: string, output: string, model?: string): Promise<UpscalerInfo> {
  const options: UpscalerOptions = { precision: 'f16', tile: 256, onWarning: (message: string) => void message };
  const up: Upscaler = await createUpscaler(model ?? defaultModel(), options);
  try {
    const call: UpscaleCallOptions = { outscale: 2, onProgress: (done: number, total: number) => void (done / total) };
    const out: Image = await up.upscale(await readImage(input), call);
    const write: WriteOptions = { quality: 90 };
    await writeImage(output, out, write);
    const layers: LayerTime[] = await up.profile(64, 64);
    void layers;
    return up.info;
  } finally {
    up.destroy();
  }
}

export async function reencode(path: string, webp: Uint8Array): Promise<Uint8Array> {
  const { image, metadata }: { image: Image; metadata: ImageMetadata } = await readImageWithMetadata(path);
  const options: EncodeOptions = { quality: 80 };
  if (metadata.icc) options.icc = metadata.icc;
  const decoded: Image = await decodeImageAsync(webp, 'in.webp');
  void decoded;
  return encodeImageAsync(image, 'webp', options);
}

export function typesAreReal(gpu: WgsrDevice, ncnn: { param: Uint8Array; bin: ArrayBuffer }): void {
  const models: ModelBytes[] = [new Uint8Array(4), new ArrayBuffer(4), new Float32Array(1), ncnn];
  const device: GPUDevice = gpu.device;
  void core.createUpscaler(models[0]!, { device });
  void createUpscaler(defaultModelPath(), { device, tile: 128 });
  // @ts-expect-error the core takes bytes; a path is for wgsr/node's createUpscaler
  void core.createUpscaler('model.pth');
  // @ts-expect-error precision is 'f32' or 'f16'
  void createUpscaler(defaultModelPath(), { precision: 'f64' });
  const factory: DeviceFactory = async () => ({ device });
  void factory;
  const e: unknown = new WgsrError('IO', 'x');
  if (isWgsrError(e)) {
    const code: core.WgsrErrorCode = e.code;
    void code;
  }
}
