import { WgsrError } from '../errors.js';
import { sameFile, writeFileAtomic } from '../io/atomic.js';
import { loadWeights } from '../weights/load.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { storedDtype } from '../weights/state-dict.js';
import { parseCommandArgs, type Command } from './command.js';
import { readModelFile } from '../io/model-file.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a .pth model to .safetensors (optionally float16)',
  usage: [
    'Usage: wgsr convert <model.pth|.pt|.safetensors> -o <model.safetensors> [--half]',
    '',
    'Writes the weights as safetensors: the same tensors, readable without a pickle.',
    '  -o, --output FILE   the .safetensors file to write (never the input; written atomically)',
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
    if (typeof output !== 'string' || output === '') throw new WgsrError('BAD_ARGUMENT', 'wgsr convert needs -o <model.safetensors>');
    if (!output.endsWith('.safetensors')) throw new WgsrError('BAD_ARGUMENT', `the output must be a .safetensors file, got "${output}"`);
    if (await sameFile(input, output)) throw new WgsrError('BAD_ARGUMENT', `the output ${output} is the input file; choose another name (the input is never overwritten)`);

    const loaded = loadWeights(readModelFile(input), input);
    const half = values.half === true;
    const bytes = writeSafetensors(loaded.stateDict, { half, metadata: { format: 'pt' } });
    await writeFileAtomic(output, bytes);
    const dtype = half ? 'float16' : storedDtype(loaded.stateDict);
    io.stdout(`wrote ${output}: ${loaded.stateDict.size} tensors, ${dtype}, ${(bytes.length / 1e6).toFixed(2)} MB`);
    return 0;
  },
};
