import { WgsrError } from '../errors.js';
import { exportOnnx } from '../export/onnx.js';
import { sameFile, writeFileAtomic } from '../io/atomic.js';
import { numberArg, parseCommandArgs, type Command } from './command.js';
import { readModelPath } from '../runtime/model-path.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model as ONNX (opset 13) for onnxruntime and other engines',
  usage: [
    'Usage: wgsr export <model.pth|.pt|.safetensors|.param> --onnx -o <model.onnx> [--res-scale X]',
    '',
    'Writes the network with its weights as an ONNX model: input "input" [1, C, height, width]',
    '(height and width left free), output "output". Standard ops only (Conv, LeakyRelu, PRelu,',
    'Resize, DepthToSpace, SpaceToDepth, Concat, Add, Mul); weights are initializers.',
    '  --onnx              the format to write (the only one so far; required so the output is explicit)',
    '  -o, --output FILE   the .onnx file to write (written atomically)',
    '  --res-scale X       EDSR residual scaling (not stored in its weights)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('export', argv, [
      { name: 'onnx', kind: 'flag' },
      { name: 'output', kind: 'string', short: 'o' },
      { name: 'res-scale', kind: 'string' },
    ]);
    if (positionals.length !== 1) throw new WgsrError('BAD_ARGUMENT', `wgsr export takes one model file, got ${positionals.length} (see wgsr export --help)`);
    if (values.onnx !== true) throw new WgsrError('BAD_ARGUMENT', 'wgsr export needs a format: --onnx (see wgsr export --help)');
    const output = values.output;
    if (typeof output !== 'string' || output === '') throw new WgsrError('BAD_ARGUMENT', 'wgsr export needs -o <model.onnx>');
    if (!output.endsWith('.onnx')) throw new WgsrError('BAD_ARGUMENT', `the output must be a .onnx file, got "${output}"`);
    const input = positionals[0]!;
    if (await sameFile(input, output)) throw new WgsrError('BAD_ARGUMENT', `the output ${output} is the input file; choose another name`);
    const resScale = numberArg(values['res-scale'] as string | undefined, '--res-scale', (n) => n > 0, 'a positive number');

    const { onnx, info } = exportOnnx(readModelPath(input), { source: input, modelOptions: { resScale } });
    await writeFileAtomic(output, onnx);
    io.stdout(`wrote ${output}: ${info.arch} x${info.scale}, ONNX opset 13, ${(onnx.length / 1e6).toFixed(2)} MB`);
    return 0;
  },
};
