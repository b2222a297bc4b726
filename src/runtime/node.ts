import { WgsrError } from '../errors.js';
import { navigatorGpu, requestWgsrDevice, type RequestDeviceOptions, type WgsrDevice } from './device.js';

/**
 * A `GPU` object outside the browser: Deno has navigator.gpu built in; Bun gets one from the
 * optional package `bun-webgpu`; Node from the optional package `webgpu` (Dawn). The packages are
 * loaded lazily so the core never depends on them.
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
    throw new WgsrError(
      'NO_GPU',
      `WebGPU for ${isBun ? 'Bun' : 'Node'} needs the npm package "${pkg}" (an optional dependency ` +
        `of wgsr): npm install ${pkg}. Loading it failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (isBun) {
    (mod.setupGlobals as (() => void) | undefined)?.();
    const gpu = navigatorGpu() ?? (mod.createGPUInstance as (() => GPU) | undefined)?.();
    if (!gpu) throw new WgsrError('NO_GPU', 'bun-webgpu loaded but provided no GPU object.');
    return gpu;
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
