import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run.js';
import { imageFolder } from './images.js';
import { defaultWorkers } from '../../src/cli/train-options.js';

const work = mkdtempSync(join(tmpdir(), 'wgsr-train-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const HR = imageFolder(work, 'hr', [{ name: 'a.png', width: 48, height: 40, seed: 1 }, { name: 'b.png', width: 40, height: 48, seed: 2 }]);

describe('wgsr train options', () => {
  const refused = async (argv: string[], message: RegExp) => {
    const r = await run('train', ...argv);
    expect(r.code).toBe(2);
    expect(r.stderr.join('\n')).toMatch(message);
  };

  it('refuses unknown or misplaced architecture options and bad values by name, before any work', async () => {
    const base = ['--hr', HR, '-o', join(work, 'r'), '--scale', '2', '--patch', '8'];
    await refused([...base, '--arch', 'srvgg', '--num-block', '4'], /--num-block does not apply to --arch srvgg \(it is for edsr, rrdbnet\)/);
    await refused([...base, '--arch', 'srvgg', '--num-feat', '0'], /--num-feat must be a whole number ≥ 1, got "0"/);
    await refused([...base, '--arch', 'srvgg', '--num-fet', '8'], /unknown option '--num-fet'; did you mean --num-feat\?/);
    await refused([...base, '--arch', 'unet'], /--arch unet: unknown; choose one of srvgg, edsr, rrdbnet, srgan/);
    await refused(base, /give the network: -m <model file> to fine-tune, or --arch/);
    await refused([...base, '--arch', 'srvgg', '--schedule', 'cosine:x'], /--schedule cosine:x: η_min must be one number/);
    await refused([...base, '--arch', 'srvgg', '--betas', '0.9'], /--betas 0.9: give two numbers in \[0, 1\)/);
    await refused([...base, '--arch', 'srvgg', '--precision', 'f16'], /training runs in f32 only/);
    await refused([...base, '--arch', 'srvgg', '--clean-prob', '0.3'], /--clean-prob mixes clean bicubic LR into --degrade realesrgan; with --degrade bicubic every sample is already clean/);
    await refused([...base, '--arch', 'srvgg', '--degrade', 'realesrgan', '--clean-prob', '2'], /--clean-prob must be a number in \[0, 1\], got "2"/);
    const options = join(work, 'degrade.json');
    writeFileSync(options, '{"second_blur_prob": 0.4, "noise_range2": [1, 15]}');
    await refused([...base, '--arch', 'srvgg', '--degrade-options', options], /--degrade-options sets Real-ESRGAN's degradations; give --degrade realesrgan with it \(this run has --degrade bicubic\)/);
    writeFileSync(options, '{"second_blur_prob": 0.4, "noise_range_2": [1, 15]}');
    await refused([...base, '--arch', 'srvgg', '--degrade', 'realesrgan', '--degrade-options', options], /--degrade-options .*degrade\.json: unknown setting "noise_range_2"/);
    await refused([...base, '--arch', 'srvgg', '--degrade', 'realesrgan', '--degrade-options', join(work, 'none.json')], /--degrade-options .*none\.json: no such file/);
    const folderAsOptions = await run('train', ...base, '--arch', 'srvgg', '--degrade', 'realesrgan', '--degrade-options', work);
    expect(folderAsOptions.code).not.toBe(0);
    expect(folderAsOptions.stderr.join('\n')).toMatch(/cannot read --degrade-options .*: .*folder/);
    writeFileSync(options, '{"second_blur_prob": 0.4,}');
    await refused([...base, '--arch', 'srvgg', '--degrade', 'realesrgan', '--degrade-options', options], /--degrade-options .*degrade\.json is not JSON \(.*\); write Real-ESRGAN's settings as a JSON object/);
    await refused([...base, '--arch', 'srvgg', '--best-by', 'ssim'], /--best-by ssim: clean, degraded, mean/);
    await refused([...base, '--arch', 'srvgg', '--best-by', 'clean'], /--best-by picks best\.\* among the validations; give the held-out images with --val <dir>/);
    await refused([...base, '--arch', 'srvgg', '--val', HR, '--best-by', 'degraded'], /--best-by degraded needs the degraded validation LR, which --degrade realesrgan makes; this run has --degrade bicubic/);
    await refused([...base, '--arch', 'srvgg', '--ema', '1'], /--ema must be a decay in \[0, 1\), e.g. 0.999 \(0: none\), got "1"/);
    await refused([...base, '--arch', 'srvgg', '-m', 'x.pth'], /either -m <model> \(fine-tune\) or --arch <name>/);
    await refused(['--hr', join(work, 'missing'), '--arch', 'srvgg', '-o', join(work, 'r')], /--hr .*missing: no such folder/);
    await refused(['--arch', 'srvgg', '--hr', HR], /give the run directory with -o/);
    await refused([...base, '--arch', 'srvgg', '--kernels', 'tiles'], /kernels must be one of "auto", "heuristic", "register-tile", "gemm", "gemm-f16"; got "tiles"/);
    await refused([...base, '--arch', 'srvgg', '--kernels', 'gemm-f16'], /kernels "gemm-f16" cannot run here: it runs with f16 activations only, not f32/);
  });

  it('makes batches in worker threads by default with realesrgan: the cores less two, from 2 to 8', () => {
    expect([1, 2, 4, 6, 10, 16, 64].map((cores) => defaultWorkers('realesrgan', cores))).toEqual([2, 2, 2, 4, 8, 8, 8]);
    // A resumed run's degrade is its own, unknown here: it gets the threads as well.
    expect(defaultWorkers(undefined, 16)).toBe(8);
    expect(defaultWorkers('bicubic', 16)).toBe(0);
    expect(defaultWorkers('none', 16)).toBe(0);
  });

  it('--kernels picks the conv kernel of the forward and the input gradients and says which; both kernels train alike', async () => {
    const losses: Record<string, number[]> = {};
    for (const kernels of ['register-tile', 'gemm']) {
      const r = await run('train', '--hr', HR, '--arch', 'srvgg', '--num-feat', '8', '--num-conv', '2', '--scale', '2', '--patch', '8', '--batch', '2', '--iters', '3', '--log-every', '1', '-o', join(work, kernels), '--workers', '0', '--kernels', kernels, '--json');
      expect(r.code, r.stderr.join('\n')).toBe(0);
      expect(r.stderr.join('\n')).toContain(`conv kernels ${kernels}`);
      losses[kernels] = r.stdout.map((l) => JSON.parse(l)).filter((l) => 'loss' in l).map((l) => l.loss);
    }
    expect(losses['gemm']).toHaveLength(3);
    // The same steps; only the order of the conv sums differs (f32): relative 1e-5.
    losses['gemm']!.forEach((l, i) => expect(Math.abs(l - losses['register-tile']![i]!)).toBeLessThanOrEqual(1e-5 * losses['register-tile']![i]!));
    const defaults = await run('train', '--hr', HR, '--arch', 'srvgg', '--num-feat', '4', '--num-conv', '1', '--scale', '2', '--patch', '8', '--batch', '2', '--iters', '1', '-o', join(work, 'heuristic'), '--workers', '0', '--json');
    // The register tile on a CPU adapter (lavapipe in CI), the implicit GEMM on a GPU.
    expect(defaults.stderr.join('\n')).toMatch(/conv kernels heuristic: (register-tile|gemm)$/m);
  }, 60_000);

  it('--resume refuses options that differ from the run, saying what differs', async () => {
    const dir = join(work, 'short');
    const ok = await run('train', '--hr', HR, '--arch', 'srvgg', '--num-feat', '4', '--num-conv', '1', '--scale', '2', '--patch', '8', '--batch', '2', '--iters', '2', '-o', dir, '--workers', '0', '--json');
    expect(ok.code, ok.stderr.join('\n')).toBe(0);
    const lines = ok.stdout.map((l) => JSON.parse(l));
    expect(lines.filter((l) => 'loss' in l).map((l) => l.step)).toEqual([2]);
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8')).toContain('"step":2');
    await refused(['--resume', dir, '--iters', '4', '--patch', '12', '--loss', 'mse'], /differ from the run's[\s\S]*--patch: the run has 8, this command 12[\s\S]*--loss: the run has "l1", this command "mse"/);
    await refused(['--resume', dir, '--num-feat', '8'], /goes on with the run's own network; leave --num-feat out/);
    const more = await run('train', '--resume', dir, '--iters', '3', '--workers', '0');
    expect(more.code, more.stderr.join('\n')).toBe(0);
    expect(more.stdout.join('\n')).toMatch(/trained 3 steps/);
  }, 60_000);
});
