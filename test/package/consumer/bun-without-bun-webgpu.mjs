// Run by Bun in the consumer project, where bun-webgpu (an optional peer) is not installed: the
// error must say how to add it.
import { createServerDevice } from 'wgsr/node';

try {
  await createServerDevice();
  throw new Error('a device without bun-webgpu');
} catch (e) {
  if (e.code !== 'NO_GPU' || !e.message.includes('bun add bun-webgpu')) throw e;
  console.log(`bun ${Bun.version} without bun-webgpu: NO_GPU, "…${e.message.slice(e.message.indexOf('needs'), e.message.indexOf('.') + 1)}"`);
}
