import { extname } from 'node:path';
import { WgsrError } from '../errors.js';
import { sameFile, writeFileAtomic } from '../io/atomic.js';
import { readModelPath } from '../runtime/model-path.js';
import { loadModelBytes } from '../weights/load.js';
import { writeTorchZip } from '../weights/pth-writer.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { storedDtype } from '../weights/state-dict.js';
import { parseCommandArgs, type Command } from './command.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a model (.pth, .safetensors, ncnn .param/.bin) to .pth or .safetensors',
  usage: [
    'Usage: wgsr convert <model.pth|.pt|.safetensors|.param|.bin> -o <model.pth|model.safetensors> [--half]',
    '',
    "Writes the weights in the format the output's extension names, with Real-ESRGAN's key names:",
    "  .pth          torch.save's zip format, the weights under \"params_ema\" as in Real-ESRGAN's",
    '                releases: torch.load and Real-ESRGAN\'s inference script take it',
    '  .safetensors  the same tensors, readable without a pickle (a safetensors input\'s metadata',
    '                is kept: a file from wgsr train still says how it was trained)',
    'An ncnn model (Upscayl, realesrgan-ncnn-vulkan) is named by either half: x.param finds x.bin.',
    '  -o, --output FILE   the file to write (never the input; written atomically)',
    '  --half              store floating-point tensors as float16 (half the size)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('convert', argv, [
      { name: 'output', kind: 'string', short: 'o' },
      { name: 'half', kind: 'flag' },
    ]);
    if (positionals.length !== 1) throw new WgsrError('BAD_ARGUMENT', `wgsr convert takes one model file, got ${positionals.length} (see wgsr convert --help)`);
    const input = positionals[0]!;
    const output = values.output;
    if (typeof output !== 'string' || output === '') throw new WgsrError('BAD_ARGUMENT', 'wgsr convert needs -o <model.pth|model.safetensors>');
    const ext = extname(output).toLowerCase();
    if (ext !== '.pth' && ext !== '.pt' && ext !== '.safetensors') {
      throw new WgsrError('BAD_ARGUMENT', `the output must be a .pth (or .pt) or .safetensors file, got "${output}"`);
    }
    if (await sameFile(input, output)) throw new WgsrError('BAD_ARGUMENT', `the output ${output} is the input file; choose another name (the input is never overwritten)`);
    // Writing x.bin from x.param would overwrite the input pair's weights.
    const pairOf = /^(.*)\.(param|bin)$/i.exec(input);
    if (pairOf && (await sameFile(`${pairOf[1]}.bin`, output))) throw new WgsrError('BAD_ARGUMENT', `the output ${output} is the input's .bin; choose another name`);

    const loaded = loadModelBytes(readModelPath(input), input);
    const half = values.half === true;
    const metadata = { ...loaded.metadata, format: 'pt' };
    const bytes = ext === '.safetensors' ? writeSafetensors(loaded.stateDict, { half, metadata }) : writeTorchZip(loaded.stateDict, { half, wrapperKey: 'params_ema' });
    await writeFileAtomic(output, bytes);
    const dtype = half ? 'float16' : storedDtype(loaded.stateDict);
    io.stdout(`wrote ${output}: ${loaded.stateDict.size} tensors, ${dtype}, ${(bytes.length / 1e6).toFixed(2)} MB`);
    return 0;
  },
};
