// WebGPU for the other engines in Node: TF.js and onnxruntime-web look for navigator.gpu, as in a
// browser. We hand them Dawn (npm `webgpu`, the same package wgsr uses in Node) and patch the two
// places where Dawn-for-Node differs from browsers in ways onnxruntime-web trips over.
import { create, globals } from 'webgpu';

let installed;

/** Installs Dawn's classes and navigator.gpu as globals (once) and returns the GPU object. */
export async function installWebGpuGlobals() {
  if (installed) return installed;
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
  const gpu = create([]);
  // Node 20 has no navigator; Node 21+ has one without gpu.
  if (!globalThis.navigator) globalThis.navigator = {};
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });

  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('Dawn found no WebGPU adapter');
  // GPUSupportedFeatures is a setlike in browsers (with forEach); Dawn's has only has/keys/size.
  // onnxruntime-web's WebGPU EP enumerates features with forEach.
  const featuresProto = Object.getPrototypeOf(adapter.features);
  if (typeof featuresProto.forEach !== 'function') {
    featuresProto.forEach = function forEach(callback, thisArg) {
      for (const f of this.keys()) callback.call(thisArg, f, f, this);
    };
  }
  // onnxruntime-web's wasm memory is a SharedArrayBuffer (its build is the threaded one even with
  // one thread) and it uploads straight from it; Dawn for Node rejects SharedArrayBuffer-backed
  // views ("Invalid argument"). A copy into an ordinary buffer is what a browser does anyway.
  const device = await adapter.requestDevice();
  const queueProto = Object.getPrototypeOf(device.queue);
  const writeBuffer = queueProto.writeBuffer;
  queueProto.writeBuffer = function writeBufferCopyingShared(buffer, offset, data, dataOffset = 0, size) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bpe = data.BYTES_PER_ELEMENT ?? 1;
      const count = size ?? (data.byteLength / bpe - dataOffset);
      const copy = new Uint8Array(data.buffer, data.byteOffset + dataOffset * bpe, count * bpe).slice();
      return writeBuffer.call(this, buffer, offset, copy);
    }
    return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
  };
  device.destroy();
  const { vendor, architecture, description } = adapter.info;
  // Named the way wgsr's describeAdapter names it, so the table shows one adapter for all engines.
  installed = { gpu, adapter: `${description} [${vendor}, ${architecture}]` };
  return installed;
}
