import { WGSR_VERSION } from '../version.js';
import type { ConvKernelName } from '../kernels/conv2d-variants.js';
import { isConvKernelName } from '../kernels/conv2d-variants.js';

/**
 * Where tuned conv-kernel choices persist between runs. The core stays free of file I/O: the
 * Node layer passes a store backed by a JSON file (runtime/kernel-cache-file.ts); without one,
 * choices live in memory only.
 */
export interface KernelChoiceStore {
  /** The stored text; undefined when there is none yet. */
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  /** Where it lives, for messages. */
  readonly where: string;
}

/** Who measured: the adapter as its info names it. */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export const adapterKey = (a: AdapterIdentity): string => [a.vendor, a.architecture, a.device, a.description].join('|');

/** The file's shape: one entry per adapter, version and precision; winners per conv shape. */
interface CacheFile {
  format: 'wgsr-kernel-choices';
  entries: Record<string, { version: string; choices: Record<string, string> }>;
}

const FORMAT = 'wgsr-kernel-choices';
const entryKey = (adapter: AdapterIdentity, precision: string): string => `${adapterKey(adapter)}#${precision}`;

/** Tuned choices in memory for this process, by adapter and precision. */
const memory = new Map<string, Map<string, ConvKernelName>>();

/**
 * The stored winners for an adapter and precision, or undefined. A file that is not JSON, not
 * ours, or an entry from another wgsr version or naming an unknown kernel is ignored, with a
 * warning saying which.
 */
export async function loadKernelChoices(
  store: KernelChoiceStore | undefined,
  adapter: AdapterIdentity,
  precision: string,
  warn: (message: string) => void,
): Promise<Map<string, ConvKernelName> | undefined> {
  const key = entryKey(adapter, precision);
  const inMemory = memory.get(key);
  if (inMemory) return inMemory;
  if (!store) return undefined;
  const file = await readCacheFile(store, warn);
  const entry = file?.entries[key];
  if (!entry) return undefined;
  if (entry.version !== WGSR_VERSION) {
    warn(`kernel cache ${store.where}: the entry for this adapter was tuned by wgsr ${String(entry.version)}, not ${WGSR_VERSION}; tuning again`);
    return undefined;
  }
  const choices = new Map<string, ConvKernelName>();
  for (const [shape, name] of Object.entries(entry.choices ?? {})) {
    if (!isConvKernelName(name)) {
      warn(`kernel cache ${store.where}: unknown kernel "${String(name)}" for ${shape}; tuning again`);
      return undefined;
    }
    choices.set(shape, name);
  }
  memory.set(key, choices);
  return choices;
}

/** Records winners in memory and, with a store, in its file (other adapters' entries kept). */
export async function saveKernelChoices(
  store: KernelChoiceStore | undefined,
  adapter: AdapterIdentity,
  precision: string,
  choices: Map<string, ConvKernelName>,
  warn: (message: string) => void,
): Promise<void> {
  const key = entryKey(adapter, precision);
  memory.set(key, choices);
  if (!store) return;
  const file = (await readCacheFile(store, () => {})) ?? { format: FORMAT, entries: {} };
  file.entries[key] = { version: WGSR_VERSION, choices: Object.fromEntries(choices) };
  try {
    await store.write(JSON.stringify(file, null, 1) + '\n');
  } catch (e) {
    warn(`kernel cache ${store.where}: could not write (${e instanceof Error ? e.message : String(e)}); the choices stay in memory`);
  }
}

/** Forgets the in-memory choices (tests; `wgsr tune` measures afresh). */
export function forgetKernelChoices(): void {
  memory.clear();
}

async function readCacheFile(store: KernelChoiceStore, warn: (message: string) => void): Promise<CacheFile | undefined> {
  let text: string | undefined;
  try {
    text = await store.read();
  } catch (e) {
    warn(`kernel cache ${store.where}: could not read (${e instanceof Error ? e.message : String(e)}); ignoring it`);
    return undefined;
  }
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    warn(`kernel cache ${store.where}: not valid JSON (corrupt); ignoring it`);
    return undefined;
  }
  const file = data as Partial<CacheFile> | null;
  if (!file || typeof file !== 'object' || file.format !== FORMAT || typeof file.entries !== 'object' || file.entries === null) {
    warn(`kernel cache ${store.where}: not a wgsr kernel cache; ignoring it`);
    return undefined;
  }
  return file as CacheFile;
}
