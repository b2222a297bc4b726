import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { forgetKernelChoices, loadKernelChoices, saveKernelChoices, type KernelChoiceStore } from '../../src/engine/kernel-cache.js';
import { isCpuAdapter } from '../../src/engine/kernels.js';
import { kernelCacheFile } from '../../src/runtime/kernel-cache-file.js';
import { wgsrCacheDir } from '../../src/runtime/cache-dir.js';
import { WGSR_VERSION } from '../../src/version.js';

const savedCacheDir = process.env.WGSR_CACHE_DIR;

const GPU = { vendor: 'nvidia', architecture: 'hopper', device: '0x2330', description: 'NVIDIA H100' };
const OTHER = { vendor: 'amd', architecture: 'rdna-3', device: '', description: '' };

function fileStore(text?: string): { store: KernelChoiceStore; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'wgsr-kernels-')), 'sub', 'kernels.json');
  const store = kernelCacheFile(path);
  if (text !== undefined) {
    return { store: { ...store, read: async () => text }, path };
  }
  return { store, path };
}

async function load(store: KernelChoiceStore, adapter = GPU) {
  const warnings: string[] = [];
  const got = await loadKernelChoices(store, adapter, 'f32', (m) => warnings.push(m));
  return { got, warnings };
}

describe('the kernel choice cache', () => {
  beforeEach(() => forgetKernelChoices());

  it('round-trips winners per adapter and precision through its JSON file, keeping other adapters', async () => {
    const { store, path } = fileStore();
    await saveKernelChoices(store, OTHER, 'f32', new Map([['64->64 k3', 'register-tile']]), () => {});
    await saveKernelChoices(store, GPU, 'f32', new Map([['64->64 k3', 'gemm'], ['64->3 k3', 'register-tile']]), () => {});
    forgetKernelChoices();
    const { got, warnings } = await load(store);
    expect(warnings).toEqual([]);
    expect([...got!]).toEqual([['64->64 k3', 'gemm'], ['64->3 k3', 'register-tile']]);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(file.entries)).toHaveLength(2);
    expect(file.entries['nvidia|hopper|0x2330|NVIDIA H100#f32'].version).toBe(WGSR_VERSION);
    expect(await loadKernelChoices(store, GPU, 'f16', () => {})).toBeUndefined();
  });

  it('ignores a corrupt file with a warning', async () => {
    const { got, warnings } = await load(fileStore('{"format": "wgsr-kernel-choi').store);
    expect(got).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/not valid JSON \(corrupt\); ignoring it/)]);
  });

  it('ignores a foreign file with a warning', async () => {
    const { got, warnings } = await load(fileStore('{"entries": {}}').store);
    expect(got).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/not a wgsr kernel cache; ignoring it/)]);
  });

  it('ignores an entry of another wgsr version, or naming an unknown kernel, with a warning', async () => {
    const key = 'nvidia|hopper|0x2330|NVIDIA H100#f32';
    const stale = JSON.stringify({ format: 'wgsr-kernel-choices', entries: { [key]: { version: '0.0.1', choices: { '64->64 k3': 'gemm' } } } });
    let r = await load(fileStore(stale).store);
    expect(r.got).toBeUndefined();
    expect(r.warnings).toEqual([expect.stringMatching(/tuned by wgsr 0\.0\.1, not .*; tuning again/)]);
    const unknown = JSON.stringify({ format: 'wgsr-kernel-choices', entries: { [key]: { version: WGSR_VERSION, choices: { '64->64 k3': 'warp-speed' } } } });
    r = await load(fileStore(unknown).store);
    expect(r.got).toBeUndefined();
    expect(r.warnings).toEqual([expect.stringMatching(/unknown kernel "warp-speed" for 64->64 k3; tuning again/)]);
  });

  it('lives in the same cache folder as downloaded models', () => {
    process.env.WGSR_CACHE_DIR = '/c';
    try {
      expect(kernelCacheFile().where).toBe(join(wgsrCacheDir(), 'kernels.json'));
      expect(kernelCacheFile().where).toBe(join('/c', 'kernels.json'));
    } finally {
      if (savedCacheDir === undefined) delete process.env.WGSR_CACHE_DIR;
      else process.env.WGSR_CACHE_DIR = savedCacheDir;
    }
  });

  it('tells CPU adapters from GPUs by their info', () => {
    expect(isCpuAdapter({ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isCpuAdapter({ vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isCpuAdapter({ ...GPU, isFallbackAdapter: true })).toBe(true);
    expect(isCpuAdapter(GPU)).toBe(false);
  });

  it('keeps WGSR_VERSION equal to package.json', () => {
    expect(WGSR_VERSION).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version);
  });
});
