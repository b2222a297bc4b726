import { copyFileSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadWeights } from '../../src/weights/load.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';

const modelsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
const cases = readdirSync(modelsDir);
const fixture = (name: string) => path.join(modelsDir, name, 'model.pth');
const work = mkdtempSync(path.join(tmpdir(), 'wgsr-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), interactive: false });
  return { code, stdout, stderr };
}

/** A user error: non-zero exit, one line on stderr, no stack trace, nothing on stdout. */
async function expectOneLineError(argv: string[], text: string) {
  const r = await run(...argv);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toEqual([]);
  expect(r.stderr).toHaveLength(1);
  expect(r.stderr[0]).not.toContain('\n');
  expect(r.stderr[0]).not.toMatch(/\bat .*:\d+:\d+/);
  expect(r.stderr[0]).toContain(text);
}

describe('wgsr info', () => {
  it.each(cases)('--json on %s prints one JSON object with arch, scale, params, dtype, format and sizes', async (name) => {
    const meta = JSON.parse(readFileSync(path.join(modelsDir, name, 'meta.json'), 'utf8')) as { arch: string; scale: number; param_count: number; num_feat: number; serialization: string };
    const r = await run('info', fixture(name), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toHaveLength(1);
    const info = JSON.parse(r.stdout[0]!);
    expect(info.arch).toBe(meta.arch === 'SRGANGenerator' ? 'SRGAN' : meta.arch);
    expect(info).toMatchObject({ scale: meta.scale, params: meta.param_count, numFeat: meta.num_feat, dtype: 'float32', format: meta.serialization === 'zip' ? 'pth-zip' : 'pth-legacy' });
  });

  it('prints a readable summary', async () => {
    const r = await run('info', fixture('realesrgan_x2_tiny'));
    expect(r.code).toBe(0);
    const text = r.stdout.join('\n');
    expect(text).toContain('PyTorch zip (torch.save, torch ≥ 1.6), weights under "params_ema"');
    expect(text).toMatch(/arch:\s+RRDBNet \(basicsr layout\)/);
    expect(text).toMatch(/scale:\s+×2/);
    expect(text).toMatch(/sizes:\s+numFeat 16, numBlock 2, numGrowCh 8/);
    expect(text).toMatch(/parameters:\s+101,603/);
  });

  it('without a file describes the bundled default model', async () => {
    const r = await run('info', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.join('\n'))).toMatchObject({ arch: 'SRVGGNetCompact', scale: 4, dtype: 'float16', bundled: true });
  });

  it('errors are one line with a non-zero exit', async () => {
    await expectOneLineError(['info', path.join(work, 'nope.pth')], 'cannot read');
    await expectOneLineError(['info', 'a.pth', 'b.pth'], 'takes one model file');
    const junk = path.join(work, 'junk.pth');
    writeFileSync(junk, 'not a model at all');
    await expectOneLineError(['info', junk], 'not a model file');
    const evil = path.join(work, 'evil.pth');
    writeFileSync(evil, Uint8Array.of(0x80, 0x02, 0x63, ...new TextEncoder().encode('posix\nsystem\n'), 0x2e));
    await expectOneLineError(['info', evil], 'posix.system');
  });
});

describe('wgsr convert', () => {
  it.each(cases)('%s → .safetensors reloads to identical tensors', async (name) => {
    const out = path.join(work, `${name}.safetensors`);
    const r = await run('convert', fixture(name), '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(new RegExp(`^wrote .*${name}\\.safetensors: \\d+ tensors, float32, [\\d.]+ MB$`));
    const original = loadWeights(readFileSync(fixture(name))).stateDict;
    const converted = loadWeights(readFileSync(out)).stateDict;
    expect([...converted.keys()]).toEqual([...original.keys()]);
    for (const [k, t] of original) expect(Buffer.from(converted.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(true);
    const info = await run('info', out, '--json');
    expect(JSON.parse(info.stdout[0]!).format).toBe('safetensors');
  });

  it('--half writes float16, about half the size', async () => {
    const out = path.join(work, 'half.safetensors');
    expect((await run('convert', fixture('realesrgan_x4_tiny'), '--output', out, '--half')).code).toBe(0);
    const full = path.join(work, 'full.safetensors');
    await run('convert', fixture('realesrgan_x4_tiny'), '-o', full);
    const ratio = statSync(out).size / statSync(full).size;
    expect(ratio).toBeGreaterThan(0.49);
    expect(ratio).toBeLessThan(0.52);
    expect(JSON.parse((await run('info', out, '--json')).stdout[0]!).dtype).toBe('float16');
  });

  it("keeps a safetensors input's metadata (a trained file's recipe), with format pt", async () => {
    const plain = path.join(work, 'plain.safetensors');
    await run('convert', fixture('srvgg_x4_tiny'), '-o', plain);
    expect(readSafetensors(readFileSync(plain)).metadata).toEqual({ format: 'pt' });
    const made = readSafetensors(readFileSync(plain));
    const input = path.join(work, 'with-recipe.safetensors');
    writeFileSync(input, writeSafetensors(made.stateDict, { metadata: { training_recipe: '{"seed":7}', format: 'other' } }));
    const out = path.join(work, 'with-recipe-half.safetensors');
    expect((await run('convert', input, '-o', out, '--half')).code).toBe(0);
    expect(readSafetensors(readFileSync(out)).metadata).toEqual({ training_recipe: '{"seed":7}', format: 'pt' });
  });

  it('never overwrites the input, by name or through a link', async () => {
    const input = path.join(work, 'in.safetensors');
    await run('convert', fixture('srvgg_x4_tiny'), '-o', input);
    const before = readFileSync(input);
    await expectOneLineError(['convert', input, '-o', input], 'is the input file');
    await expectOneLineError(['convert', input, '-o', path.join(work, '.', 'in.safetensors')], 'is the input file');
    const hard = path.join(work, 'hard.safetensors');
    linkSync(input, hard);
    await expectOneLineError(['convert', input, '-o', hard], 'is the input file');
    const soft = path.join(work, 'soft.safetensors');
    symlinkSync(input, soft);
    await expectOneLineError(['convert', soft, '-o', input], 'is the input file');
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it('refuses bad arguments and leaves no temporary files behind', async () => {
    const input = path.join(work, 'copy.pth');
    copyFileSync(fixture('edsr_x2_tiny'), input);
    await expectOneLineError(['convert', input], 'needs -o');
    await expectOneLineError(['convert', input, '-o', path.join(work, 'x.onnx')], 'must be a .pth (or .pt) or .safetensors file');
    await expectOneLineError(['convert', input, '-o', path.join(work, 'missing-dir', 'x.safetensors')], 'cannot write');
    await expectOneLineError(['convert', input, '-o', path.join(work, 'y.safetensors'), '--fp16'], "unknown option '--fp16'");
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
