import { WgsrError } from '../errors.js';
import { loadModel } from '../models/load.js';
import { architectureOf } from '../models/registry.js';
import type { WeightsFormat } from '../weights/types.js';
import { parseCommandArgs, type Command } from './command.js';
import { defaultModelPath } from '../runtime/default-model.js';
import { readModelPath } from '../runtime/model-path.js';

const FORMAT_NAMES: Record<WeightsFormat, string> = {
  'pth-zip': 'PyTorch zip (torch.save, torch ≥ 1.6)',
  'pth-legacy': 'PyTorch legacy (torch.save, torch < 1.6)',
  safetensors: 'safetensors',
  ncnn: 'ncnn (Upscayl / realesrgan-ncnn-vulkan)',
};

export const infoCommand: Command = {
  name: 'info',
  summary: 'show a model file\'s architecture, scale, sizes, parameter count, stored dtype and format',
  usage: [
    'Usage: wgsr info [model.pth|.pt|.safetensors|.param] [--json]',
    '',
    'Reads the weights (nothing in the file is executed), detects the architecture and prints it.',
    'Without a file: the bundled default model, which wgsr upscale uses when it gets no -m.',
    '  --json   print one JSON object: arch, scale, inChannels, outChannels, params, dtype, format,',
    '           wrapperKey, tensors and the architecture\'s sizes',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('info', argv, [{ name: 'json', kind: 'flag' }]);
    if (positionals.length > 1) throw new WgsrError('BAD_ARGUMENT', `wgsr info takes one model file, got ${positionals.length} (see wgsr info --help)`);
    const bundled = positionals.length === 0;
    const file = bundled ? defaultModelPath() : positionals[0]!;
    const { weights: loaded, info, dtype } = loadModel(readModelPath(file), { source: file });
    if (values.json) {
      io.stdout(JSON.stringify({ ...info, dtype, format: loaded.format, wrapperKey: loaded.wrapperKey ?? null, tensors: loaded.stateDict.size, bundled }));
      return 0;
    }
    const described = architectureOf(info).describe(info);
    const lines: [string, string][] = [
      ['file', bundled ? `${file} (the bundled default model, used when wgsr upscale gets no -m)` : file],
      ['format', FORMAT_NAMES[loaded.format] + (loaded.wrapperKey ? `, weights under "${loaded.wrapperKey}"` : '')],
      ['arch', described.name],
      ['scale', `×${info.scale}`],
      ['channels', `${info.inChannels} in, ${info.outChannels} out`],
      ['sizes', described.sizes.map(([k, v]) => `${k} ${v}`).join(', ')],
      ['parameters', info.params.toLocaleString('en-US')],
      ['dtype', dtype],
      ['tensors', String(loaded.stateDict.size)],
    ];
    for (const [k, v] of lines) io.stdout(`${(k + ':').padEnd(12)}${v}`);
    return 0;
  },
};
