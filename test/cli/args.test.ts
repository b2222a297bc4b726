import { describe, expect, it } from 'vitest';
import { parseCommandArgs, type OptionSpec } from '../../src/cli/command.js';
import { closest } from '../../src/cli/suggest.js';
import { error } from '../helpers/errors.js';
import { run } from './run.js';

const SPEC: OptionSpec[] = [
  { name: 'output', kind: 'string', short: 'o' },
  { name: 'tile-pad', kind: 'string' },
  { name: 'model', kind: 'string', short: 'm', aliases: ['--model-path'] },
  { name: 'precision', kind: 'string', presets: { '--fp32': 'f32', '--half': 'f16' } },
  { name: 'alpha', kind: 'string', aliases: ['--alpha-upsampler'], aliasValues: { '--alpha-upsampler': { realesrgan: 'network', bicubic: 'resize' } } },
  { name: 'denoise-strength', kind: 'string', aliases: ['-dn'] },
  { name: 'json', kind: 'flag' },
];
const parse = (...argv: string[]) => parseCommandArgs('upscale', argv, SPEC);

describe('one parser for every command', () => {
  it('long, short, = and -- forms; underscore spellings of every long option', () => {
    expect(parse('in.png', '-o', 'x.png', '--tile_pad=12', '--json', '--', '-odd.png')).toEqual({
      values: { output: 'x.png', 'tile-pad': '12', json: true },
      positionals: ['in.png', '-odd.png'],
    });
    expect(parse('--model_path', 'm.pth', '-dn', '0.5').values).toEqual({ model: 'm.pth', 'denoise-strength': '0.5' });
  });

  it('presets and translated alias values', () => {
    expect(parse('--fp32').values).toEqual({ precision: 'f32' });
    expect(parse('--half').values).toEqual({ precision: 'f16' });
    expect(parse('--alpha_upsampler', 'realesrgan').values).toEqual({ alpha: 'network' });
    expect(parse('--alpha-upsampler', 'bicubic').values).toEqual({ alpha: 'resize' });
    expect(parse('--alpha', 'resize').values).toEqual({ alpha: 'resize' });
  });

  it('refusals: one clean line, no doubled prefix, balanced quotes', () => {
    expect(error(() => parse('-j', '4:4:4')).message).toBe("unknown option '-j' (realesrgan-ncnn-vulkan's thread counts; wgsr has no equivalent) (see wgsr upscale --help)");
    expect(error(() => parse('--tilepad', '4')).message).toBe("unknown option '--tilepad'; did you mean --tile-pad? (see wgsr upscale --help)");
    expect(error(() => parse('-g', '0')).message).toMatch(/^unknown option '-g' \(realesrgan-ncnn-vulkan's GPU id; wgsr runs on the WebGPU adapter the system offers/);
    expect(error(() => parse('--gpu_id', '0')).message).toMatch(/^unknown option '--gpu-id' \(Real-ESRGAN's GPU id;/);
    expect(error(() => parse('--frobnicate')).message).toBe("unknown option '--frobnicate' (see wgsr upscale --help)");
    expect(error(() => parse('-o')).message).toBe('option -o needs a value (see wgsr upscale --help)');
    expect(error(() => parse('--json=yes')).message).toBe('option --json takes no value, got "yes" (see wgsr upscale --help)');
    expect(error(() => parse('--fp32=1')).message).toBe('option --fp32 takes no value, got "1" (see wgsr upscale --help)');
  });

  it('suggestions only for near misses', () => {
    const known = ['--tile', '--tile-pad', '--pre-pad', '--outscale', '--quality'];
    expect(closest('--qualty', known)).toBe('--quality');
    expect(closest('--tiel', known)).toBe('--tile');
    expect(closest('--zoom', known)).toBeUndefined();
  });
});

describe('wgsr upscale takes the flags people already type', () => {
  it('every habit flag parses to an option of its own (no "unknown option")', async () => {
    const habits = ['-i', 'in.png', '-s', '2', '-t', '64', '-f', 'png', '--fp32', '--suffix', 'x', '--model_path', 'm.pth', '--tile_pad', '4', '--pre_pad', '2', '--max_memory', '64'];
    // The input does not exist: the run gets past parsing to the plan, which names it.
    const r = await run('upscale', ...habits, '-o', 'o.png');
    expect(r.stderr).toEqual(['wgsr upscale: in.png: no such file or folder']);
    // Without -m the strength blends the bundled pair, so these too get as far as the plan.
    const dn = await run('upscale', 'in.png', '-dn', '0.5', '--denoise_strength', '0.5', '--alpha_upsampler', 'bicubic', '--half');
    expect(dn.stderr).toEqual(['wgsr upscale: in.png: no such file or folder']);
    const file = await run('upscale', 'in.png', '--model_path', 'm.pth', '-dn', '0.5');
    expect(file.stderr[0]).toMatch(/--denoise-strength blends two models: with -m FILE give the second as --dni-model FILE/);
  });

  it('usage errors exit 2 and say so once', async () => {
    const r = await run('upscale', 'in.png', '-j', '4');
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]!.match(/wgsr upscale:/g)).toHaveLength(1);
  });

  it('the usage text documents aliases and exit codes', async () => {
    const r = await run('upscale', '--help');
    expect(r.stdout.join('\n')).toMatch(/--model_path, --tile_pad/);
    expect(r.stdout.join('\n')).toMatch(/Exit status: 0 all written; 1 failed; 2 usage error/);
  });
});
