// A web page's code, type-checked (never run) with bundler resolution and the DOM library only:
// the core (`wgsr`) must need nothing from Node.
import {
  createUpscaler,
  imageFromSource,
  imageToCanvas,
  requestWgsrDevice,
  type BrowserImageSource,
  type Image,
  type Upscaler,
} from 'wgsr';

export async function upscaleOnPage(file: File, canvas: HTMLCanvasElement, bitmap: ImageBitmap): Promise<void> {
  const { device } = await requestWgsrDevice(navigator.gpu);
  const model = await (await fetch('/model.safetensors')).arrayBuffer();
  const up: Upscaler = await createUpscaler(model, { device });
  const pixels: ImageData = await up.upscale(file);
  const drawn: HTMLCanvasElement | OffscreenCanvas = await up.upscale(bitmap, { output: 'canvas', tile: 128 });
  const image: Image = await imageFromSource(canvas);
  const again: Image = await up.upscale(image);
  canvas.getContext('2d')?.putImageData(pixels, 0, 0);
  const source: BrowserImageSource = file;
  void [drawn, imageToCanvas(again), source];
  // @ts-expect-error a browser image comes back as ImageData (or a canvas), not as a wgsr Image
  const wrong: Image = await up.upscale(file);
  void wrong;
  up.destroy();
}
