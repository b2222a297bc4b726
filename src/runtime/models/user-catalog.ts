import { WgsrError } from '../../errors.js';
import { readRegularFileSync } from '../../io/read-file.js';
import { BUILTIN_CATALOG, CATALOG_ARCHS, fileNameOf, normalModelName, type CatalogArch, type CatalogEntry } from './catalog.js';

/**
 * The catalogue in effect: wgsr's own entries, their URLs moved to a mirror when
 * `WGSR_MODELS_URL` is set (`${base}/${fileName}`), then the entries of a catalogue file of
 * one's own (`WGSR_MODELS_CATALOG=file.json`), which add names or replace those they share.
 * A user file is a JSON array (or `{ "models": [...] }`) of
 * `{ "name", "url", "arch", "scale", "parameters", "sha256"?, "bytes"? }`.
 */
export interface CatalogSources {
  /** A mirror holding the built-in files under their own names (WGSR_MODELS_URL). */
  baseUrl?: string;
  /** A catalogue file of one's own (WGSR_MODELS_CATALOG). */
  catalogFile?: string;
}

export function catalogSourcesFromEnv(env: Record<string, string | undefined> = process.env): CatalogSources {
  return { baseUrl: env.WGSR_MODELS_URL || undefined, catalogFile: env.WGSR_MODELS_CATALOG || undefined };
}

export function modelCatalog(sources: CatalogSources = catalogSourcesFromEnv()): CatalogEntry[] {
  const base = sources.baseUrl?.replace(/\/+$/, '');
  if (base !== undefined) checkUrl(base, 'WGSR_MODELS_URL');
  let entries: CatalogEntry[] = BUILTIN_CATALOG.map((e) => ({ ...e, url: base ? `${base}/${fileNameOf(e.url)}` : e.url, origin: 'wgsr' }));
  if (sources.catalogFile) {
    for (const own of readUserCatalog(sources.catalogFile)) {
      const names = new Set(namesOf(own));
      entries = entries.filter((e) => !namesOf(e).some((n) => names.has(n)));
      entries.push(own);
    }
  }
  return entries;
}

/** Every spelling an entry answers to, normalised. */
export function namesOf(entry: CatalogEntry): string[] {
  return [entry.name, ...(entry.aliases ?? [])].map(normalModelName);
}

export function readUserCatalog(file: string): CatalogEntry[] {
  const text = new TextDecoder().decode(readRegularFileSync(file, `the model catalogue ${file} (WGSR_MODELS_CATALOG)`));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(file, `is not valid JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.models) ? json.models : undefined;
  if (!list) throw bad(file, 'must hold a JSON array of entries { "name", "url", "arch", "scale", "parameters", "sha256"?, "bytes"? } (or { "models": [...] })');
  return list.map((item, i) => userEntry(item, `${file}: entry ${i + 1}`, file));
}

function userEntry(item: unknown, where: string, file: string): CatalogEntry {
  if (!isObject(item)) throw bad(where, 'must be an object { "name", "url", "arch", "scale", "parameters" }');
  const known = new Set(['name', 'url', 'arch', 'scale', 'parameters', 'sha256', 'bytes', 'aliases', 'note', 'denoisePartner']);
  const extra = Object.keys(item).filter((k) => !known.has(k));
  if (extra.length) throw bad(where, `has unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} (known: ${[...known].join(', ')})`);
  const text = (key: string) => {
    const v = item[key];
    if (typeof v !== 'string' || v.trim() === '') throw bad(where, `needs "${key}" as a non-empty string`);
    return v;
  };
  const whole = (key: string, optional = false) => {
    const v = item[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw bad(where, `needs "${key}" as a whole number ≥ 1, got ${JSON.stringify(v)}`);
    return v;
  };
  const name = text('name');
  const url = text('url');
  checkUrl(url, `${where} ("${name}")`);
  const arch = text('arch');
  if (!(CATALOG_ARCHS as readonly string[]).includes(arch)) throw bad(where, `("${name}"): "arch" must be one of ${CATALOG_ARCHS.join(', ')}, got "${arch}"`);
  const sha256 = item.sha256;
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) {
    throw bad(where, `("${name}"): "sha256" must be 64 hex digits, got ${JSON.stringify(sha256)}`);
  }
  const aliases = item.aliases;
  if (aliases !== undefined && (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && a.trim() !== ''))) {
    throw bad(where, `("${name}"): "aliases" must be an array of names`);
  }
  return {
    name,
    url,
    arch: arch as CatalogArch,
    scale: whole('scale')!,
    parameters: whole('parameters')!,
    ...(sha256 !== undefined ? { sha256: (sha256 as string).toLowerCase() } : {}),
    ...(item.bytes !== undefined ? { bytes: whole('bytes', true)! } : {}),
    ...(aliases !== undefined ? { aliases: aliases as string[] } : {}),
    ...(typeof item.note === 'string' ? { note: item.note } : {}),
    ...(typeof item.denoisePartner === 'string' ? { denoisePartner: item.denoisePartner } : {}),
    origin: file,
  };
}

function checkUrl(url: string, what: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WgsrError('BAD_ARGUMENT', `${what}: "${url}" is not a URL (expected http:// or https://)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new WgsrError('BAD_ARGUMENT', `${what}: "${url}" is not an http:// or https:// URL`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (where: string, what: string) => new WgsrError('BAD_ARGUMENT', `${where} ${what}`);
