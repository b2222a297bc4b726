// onnxruntime-web: the network exported by wgsr's ONNX writer (the same graph and weights), run
// on its WebGPU execution provider, or on its wasm (CPU) backend as a labelled reference.
// Node has no Worker, so one thread; the .wasm is handed over as bytes because the loader's
// fetch-by-URL path is meant for browsers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { distImport } from '../lib/dist.mjs';
import { installWebGpuGlobals } from './gpu-globals.mjs';

const { exportOnnx } = await distImport('export/onnx.js');
const { writeSafetensors } = await distImport('index.js');
const ortDist = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));

let ort;

/** `provider` is 'webgpu' or 'wasm'. */
export function ortEngine(provider) {
  return {
    label: provider === 'webgpu' ? 'onnxruntime-web WebGPU' : 'onnxruntime-web wasm (CPU reference)',
    async createDevice() {
      let adapter = 'CPU (wasm, 1 thread)';
      if (provider === 'webgpu') {
        ({ adapter } = await installWebGpuGlobals());
      }
      // The WebGPU build (1.23) runs ORT's native WebGPU EP in an asyncify wasm; the plain build is CPU only.
      ort = await import(provider === 'webgpu' ? 'onnxruntime-web/webgpu' : 'onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmBinary = readFileSync(path.join(ortDist, provider === 'webgpu' ? 'ort-wasm-simd-threaded.asyncify.wasm' : 'ort-wasm-simd-threaded.wasm'));
      return { adapter };
    },
    async load(stateDict) {
      const { onnx } = exportOnnx(writeSafetensors(stateDict));
      const session = await ort.InferenceSession.create(onnx, { executionProviders: [provider] });
      return {
        async forward(data, size) {
          const result = await session.run({ input: new ort.Tensor('float32', data, [1, 3, size, size]) });
          return result.output.data;
        },
        destroy: () => session.release(),
      };
    },
  };
}
