// wgsr itself: the safetensors bytes of the state dict through createUpscaler, with f32
// activations (this module) or f16 ones (wgsrEngine('f16'), where the adapter has shader-f16).
import { distImport } from '../lib/dist.mjs';

const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');

export function wgsrEngine(precision) {
  return {
    label: precision === 'f32' ? 'wgsr (WebGPU)' : `wgsr (WebGPU, ${precision} activations)`,
    async createDevice() {
      const { device, adapter } = await createServerDevice();
      return { device, adapter: adapter.summary };
    },
    /** Cold start begins here: weights in, network ready. */
    async load(stateDict, { device }) {
      const up = await createUpscaler(writeSafetensors(stateDict), {
        device,
        precision,
        onWarning: (message) => {
          throw new Error(`wgsr ${precision}: ${message}`);
        },
      });
      return {
        async forward(data, size) {
          return (await up.forward({ shape: [1, 3, size, size], data })).data;
        },
        destroy: () => up.destroy(),
      };
    },
  };
}
