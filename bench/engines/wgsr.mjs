// wgsr itself: the safetensors bytes of the state dict through createUpscaler, f32.
import { distImport } from '../lib/dist.mjs';

const { createServerDevice } = await distImport('node.js');
const { createUpscaler, writeSafetensors } = await distImport('index.js');

export const label = 'wgsr (WebGPU)';

export async function createDevice() {
  const { device, adapter } = await createServerDevice();
  return { device, adapter: adapter.summary };
}

/** Cold start begins here: weights in, network ready. */
export async function load(stateDict, { device }) {
  const up = await createUpscaler(writeSafetensors(stateDict), { device });
  return {
    async forward(data, size) {
      return (await up.forward({ shape: [1, 3, size, size], data })).data;
    },
    destroy: () => up.destroy(),
  };
}
