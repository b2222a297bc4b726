import { WgsrError } from '../errors.js';
import { runSelfTest } from './self-test.js';

/** The optional features wgsr uses when the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups'] as const;

/** Limits worth raising to the adapter's maximum: the defaults cap storage buffers at 128 MiB. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** One line for people: "llvmpipe (LLVM 15.0.6, 256 bits) [mesa, cpu]". */
  summary: string;
  isFallbackAdapter: boolean;
}

export interface WgsrDevice {
  device: GPUDevice;
  adapter: AdapterDescription;
  features: { shaderF16: boolean; timestampQuery: boolean; subgroups: boolean };
}

export interface RequestDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Try `featureLevel: 'compatibility'` when no core adapter exists (OpenGL ES backends). */
  allowCompatibility?: boolean;
  /** Skip the self-test (only for tests that simulate a broken device themselves). */
  skipSelfTest?: boolean;
}

/**
 * Native bindings (Dawn for Node) free the instance and adapter when JavaScript drops them, even
 * while a device made from them is alive, and then crash when they deliver the device's
 * callbacks. Each device therefore holds its GPU object and adapter for as long as it lives.
 */
const keepAlive = new WeakMap<GPUDevice, readonly [GPU, GPUAdapter]>();

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  // `adapter.info` is the current spelling; older implementations had requestAdapterInfo().
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const isFallbackAdapter = Boolean(
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
      (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const name = description || device || architecture || vendor || 'unknown adapter';
  const extra = [vendor, architecture].filter((s) => s && !name.includes(s));
  const summary = extra.length ? `${name} [${extra.join(', ')}]` : name;
  return { vendor, architecture, device, description, summary, isFallbackAdapter };
}

/**
 * Gets an adapter and device from any `GPU` object (navigator.gpu, the `webgpu` package,
 * bun-webgpu), with the adapter's real limits and the optional features we use, then checks
 * that the device computes correctly before handing it out.
 */
export async function requestWgsrDevice(gpu: GPU, options: RequestDeviceOptions = {}): Promise<WgsrDevice> {
  let adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter && options.allowCompatibility !== false) {
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  }
  if (!adapter) {
    throw new WgsrError(
      'NO_GPU',
      'No WebGPU adapter is available. On Linux without a GPU install Mesa\'s lavapipe ' +
        '(Debian: apt-get install -t bookworm-backports mesa-vulkan-drivers); in a browser, ' +
        'enable WebGPU.',
    );
  }
  const description = describeAdapter(adapter);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter!.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    throw new WgsrError('NO_GPU', `The adapter "${description.summary}" refused to create a device: ${String(e)}`, {
      cause: e,
    });
  }
  keepAlive.set(device, [gpu, adapter]);
  if (!options.skipSelfTest) {
    try {
      await runSelfTest(device, description.summary);
    } catch (e) {
      device.destroy();
      throw e;
    }
  }
  return {
    device,
    adapter: description,
    features: {
      shaderF16: device.features.has('shader-f16'),
      timestampQuery: device.features.has('timestamp-query'),
      subgroups: device.features.has('subgroups'),
    },
  };
}

/** navigator.gpu where it exists (browsers, Deno); undefined elsewhere. */
export function navigatorGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}
