// TF.js's gradients for tfjs-core's ops (Abs, Mean, Conv2D, …) are registered by
// @tensorflow/tfjs-core/dist/register_all_gradients.js, which the Node bundle tfjs-core loads
// (tf-core.node.js) leaves out; the full @tensorflow/tfjs package would load it. That file is ESM
// with extension-less relative imports, so it is loaded through a resolve hook that adds ".js".
// Its registrations land in tfjs-core's global gradient registry, which every copy of tfjs-core
// in the process shares, as does the engine they run on.
import { register } from 'node:module';

const HOOKS = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (specifier.startsWith('.') && !specifier.endsWith('.js')) return next(specifier + '.js', context);
    throw e;
  }
}`;

export async function registerAllGradients() {
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
}
