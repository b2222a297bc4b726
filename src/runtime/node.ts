import { WgsrError } from '../errors.js';
import { navigatorGpu, requestWgsrDevice, type RequestDeviceOptions, type WgsrDevice } from '../gpu/device.js';

/**
 * A `GPU` object outside the browser: Deno has navigator.gpu built in; Bun gets one from the
 * package `bun-webgpu` (an optional peer: `bun add bun-webgpu`); Node from the optional dependency
 * `webgpu` (Dawn). The packages are loaded lazily so the core never depends on them.
 */
export async function loadServerGpu(): Promise<GPU> {
  const builtIn = navigatorGpu();
  if (builtIn) return builtIn;
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
  const pkg = isBun ? 'bun-webgpu' : 'webgpu';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (e) {
    // webgpu is an optional dependency (installed unless optional packages are omitted or its
    // platform has no build); bun-webgpu an optional peer, so that Node installs skip its 19 MB.
    const install = isBun ? 'bun add bun-webgpu' : 'npm install webgpu';
    const role = isBun ? 'an optional peer dependency of wgsr, installed only on request' : 'an optional dependency of wgsr';
    throw new WgsrError(
      'NO_GPU',
      `WebGPU for ${isBun ? 'Bun' : 'Node'} needs the npm package "${pkg}" (${role}): ${install}. ` +
        `Loading it failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (isBun) {
    (mod.setupGlobals as (() => void) | undefined)?.();
    const gpu = navigatorGpu() ?? (mod.createGPUInstance as (() => GPU) | undefined)?.();
    if (!gpu) throw new WgsrError('NO_GPU', 'bun-webgpu loaded but provided no GPU object.');
    return withAdapterLimits(gpu);
  }
  const { create, globals } = mod as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  // Dawn's classes (GPUBufferUsage, …) as globals, for code written against the browser API.
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return create([]);
}

/** A self-tested device on Node, Bun or Deno. */
export async function createServerDevice(options: RequestDeviceOptions = {}): Promise<WgsrDevice> {
  return requestWgsrDevice(await loadServerGpu(), options);
}

/**
 * bun-webgpu (0.1.x) fills every limit a device request leaves out with its own defaults (8
 * storage buffers in the fragment stage, …) and then refuses them when the adapter reports less
 * (Dawn on llvmpipe reports 0 for the per-stage limits): "Value must be between 0 and 0, got 8".
 * Requesting the adapter's own value for every limit the caller does not name avoids those
 * defaults; the adapter's values are by definition valid.
 */
function withAdapterLimits(gpu: GPU): GPU {
  const wrapped = {
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    async requestAdapter(options?: GPURequestAdapterOptions) {
      const adapter = await gpu.requestAdapter(options);
      if (!adapter) return adapter;
      const own: Record<string, number> = {};
      for (const key in adapter.limits) {
        const value = (adapter.limits as unknown as Record<string, unknown>)[key];
        if (/^(max|min)[A-Z]/.test(key) && typeof value === 'number') own[key] = value;
      }
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = (descriptor: GPUDeviceDescriptor = {}) =>
        requestDevice({ ...descriptor, requiredLimits: { ...own, ...descriptor.requiredLimits } });
      return adapter;
    },
  };
  return wrapped as unknown as GPU;
}
