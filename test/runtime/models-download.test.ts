import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/runtime/models/catalog.js';
import { loadModelByName } from '../../src/runtime/models/by-name.js';
import { modelCatalog } from '../../src/runtime/models/user-catalog.js';
import { startModelServer, type ModelServer } from '../helpers/model-server.js';

const FIXTURES = resolve(__dirname, '../fixtures/models');
const srvgg = new Uint8Array(readFileSync(join(FIXTURES, 'srvgg_x4_tiny/model.pth'))); // SRVGGNetCompact ×4, 16,768 parameters
const rrdb = new Uint8Array(readFileSync(join(FIXTURES, 'realesrgan_x4_tiny/model.pth'))); // RRDBNet ×4, 100,307 parameters
const work = mkdtempSync(join(tmpdir(), 'wgsr-models-'));
let server: ModelServer;
let n = 0;
/** A fresh, empty cache folder per test. */
const freshCache = () => join(work, `cache-${n++}`);

beforeAll(async () => {
  server = await startModelServer({
    '/tiny.pth': { bytes: srvgg },
    '/tiny-cut.pth': { bytes: srvgg.subarray(0, 40_000) },
    '/tiny-short.pth': { bytes: srvgg, truncate: 30_000 },
    '/rrdb.pth': { bytes: rrdb },
    '/stall.pth': { bytes: srvgg, stallAfter: 1000 },
    '/gone.pth': { status: 404 },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** A catalogue entry for the tiny SRVGGNetCompact fixture, served from `path`. */
function entry(name: string, path: string, extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return { name, url: `${server.url}${path}`, arch: 'SRVGGNetCompact', scale: 4, parameters: 16_768, ...extra };
}

describe('loadModelByName (local HTTP server on 127.0.0.1)', () => {
  it('downloads, verifies and caches; the second call reads the cache with the server down', async () => {
    const cacheDir = freshCache();
    const catalog = [entry('Tiny_x4', '/tiny.pth', { bytes: srvgg.length })];
    const progress: [number, number | undefined][] = [];
    const first = await loadModelByName('tiny-X4', { cacheDir, catalog, onProgress: (r, t) => progress.push([r, t]) });
    expect(first.downloaded).toBe(true);
    expect(first.bytes).toEqual(srvgg);
    expect(first.path).toBe(join(cacheDir, 'tiny.pth'));
    expect(readFileSync(first.path)).toEqual(Buffer.from(srvgg));
    expect(progress[0]).toEqual([0, srvgg.length]);
    expect(progress.at(-1)).toEqual([srvgg.length, srvgg.length]);
    expect(progress.every(([r], i) => i === 0 || r >= progress[i - 1]![0])).toBe(true);
    // No network at all for the second run: a fetch that fails if called.
    const noNetwork = () => Promise.reject(new Error('no network in this test'));
    const second = await loadModelByName('TINY_X4', { cacheDir, catalog, fetch: noNetwork });
    expect(second.downloaded).toBe(false);
    expect(second.bytes).toEqual(srvgg);
    expect(server.hits.get('/tiny.pth')).toBe(1);
  });

  it('checks a published SHA-256: a match is kept, a mismatch refused', async () => {
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(srvgg).digest('hex');
    const cacheDir = freshCache();
    await expect(loadModelByName('ok', { cacheDir, catalog: [entry('ok', '/tiny.pth', { sha256: digest })] })).resolves.toMatchObject({ downloaded: true });
    const other = freshCache();
    const bad = [entry('bad', '/tiny.pth', { sha256: '0'.repeat(64) })];
    await expect(loadModelByName('bad', { cacheDir: other, catalog: bad })).rejects.toThrow(`its SHA-256 is ${digest}, the catalogue says ${'0'.repeat(64)}; nothing was kept`);
    expect(existsSync(other) ? readdirSync(other) : []).toEqual([]);
  });

  it('refuses a truncated file (by its size, or as unreadable) and keeps nothing', async () => {
    const cacheDir = freshCache();
    const sized = [entry('cut', '/tiny-cut.pth', { bytes: srvgg.length })];
    await expect(loadModelByName('cut', { cacheDir, catalog: sized })).rejects.toThrow(/tiny-cut\.pth is not cut: it has 40,000 bytes, the catalogue says 71,474 \(a truncated or different file\); nothing was kept/);
    await expect(loadModelByName('cut', { cacheDir, catalog: [entry('cut', '/tiny-cut.pth')] })).rejects.toThrow(/is not cut: it cannot be read as a model \(.+\); nothing was kept/);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('refuses a body shorter than its Content-Length (the connection dropped)', async () => {
    const cacheDir = freshCache();
    const err = await loadModelByName('short', { cacheDir, catalog: [entry('short', '/tiny-short.pth')] }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'NETWORK' });
    expect((err as Error).message).toContain(`${server.url}/tiny-short.pth`);
    expect((err as Error).message).toContain(`place it at ${join(cacheDir, 'tiny-short.pth')}`);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('refuses a file of another architecture, naming both', async () => {
    const cacheDir = freshCache();
    await expect(loadModelByName('wrong', { cacheDir, catalog: [entry('wrong', '/rrdb.pth')] })).rejects.toThrow(
      'is not wrong: expected SRVGGNetCompact ×4 with 16,768 parameters, found RRDBNet ×4 with 100,307 parameters; nothing was kept',
    );
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('gives up on a stalled server after the stall timeout', async () => {
    const cacheDir = freshCache();
    const started = Date.now();
    await expect(loadModelByName('stall', { cacheDir, catalog: [entry('stall', '/stall.pth')], stallTimeoutMs: 300 })).rejects.toThrow(
      `download of ${server.url}/stall.pth stalled: no data for 0.3 s`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('HTTP errors and an unreachable host say how to place the file by hand', async () => {
    const cacheDir = freshCache();
    await expect(loadModelByName('gone', { cacheDir, catalog: [entry('gone', '/gone.pth')] })).rejects.toThrow(
      `cannot download ${server.url}/gone.pth: the server answered 404 Not Found. Without network: download ${server.url}/gone.pth elsewhere and place it at ${join(cacheDir, 'gone.pth')}`,
    );
    // A port nothing listens on: the server's own port after closing a second server.
    const dead = await startModelServer({});
    await dead.close();
    const offline = { name: 'off', url: `${dead.url}/off.pth`, arch: 'SRVGGNetCompact', scale: 4, parameters: 16_768 } as const;
    await expect(loadModelByName('off', { cacheDir, catalog: [offline] })).rejects.toThrow(/cannot download http:\/\/127\.0\.0\.1:\d+\/off\.pth: .*ECONNREFUSED.*place it at/);
  });

  it('a damaged file in the cache is refused with the path to delete', async () => {
    const cacheDir = freshCache();
    await loadModelByName('tiny', { cacheDir, catalog: [entry('tiny', '/tiny.pth')] });
    writeFileSync(join(cacheDir, 'tiny.pth'), srvgg.subarray(0, 100));
    await expect(loadModelByName('tiny', { cacheDir, catalog: [entry('tiny', '/tiny.pth')] })).rejects.toThrow(`Delete ${join(cacheDir, 'tiny.pth')} to download it again`);
  });

  it('unknown names suggest close ones', async () => {
    await expect(loadModelByName('realesrgan-x4plis', { cacheDir: freshCache(), catalog: modelCatalog({}) })).rejects.toThrow(
      'unknown model name "realesrgan-x4plis"; did you mean RealESRGAN_x4plus',
    );
  });
});
