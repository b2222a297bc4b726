import { describe, expect, it } from 'vitest';
import { floatParam, floatsParam, intParam, parseNcnnParam } from '../../src/weights/ncnn-param.js';
import { error } from '../helpers/errors.js';

const text = (s: string) => new TextEncoder().encode(s);
const parse = (s: string) => parseNcnnParam(text(s), 'm.param');

describe('ncnn .param text', () => {
  it('reads layers with their line, blobs and typed parameters', () => {
    const file = parse(
      [
        '7767517',
        '3 3',
        'Input            input.1   0 1 data',
        '',
        'Convolution      Conv_0    1 1 data 703 0=64 1=3 4=1 5=1 6=1728 9=2 -23310=1,2.000000e-01',
        'Eltwise  Add_16  2 1 703 data 719 0=1 -23301=2,2.000000e-01,1.000000e+00 3=1,2,3 9="a b c" 8=abc',
      ].join('\r\n'),
    );
    expect(file.layers.map((l) => [l.type, l.name, l.line, l.bottoms, l.tops])).toEqual([
      ['Input', 'input.1', 3, [], ['data']],
      ['Convolution', 'Conv_0', 5, ['data'], ['703']],
      ['Eltwise', 'Add_16', 6, ['703', 'data'], ['719']],
    ]);
    const [, conv, add] = file.layers as [never, (typeof file.layers)[0], (typeof file.layers)[0]];
    expect(intParam(conv, 0, 0, 'm')).toBe(64);
    expect(intParam(conv, 11, 3, 'm')).toBe(3); // absent: the default
    expect(floatsParam(conv, 10, 'm')).toEqual([Math.fround(0.2)]);
    expect(floatsParam(add, 1, 'm')).toEqual([Math.fround(0.2), 1]);
    expect(add.params.get(3)).toEqual({ kind: 'array', values: [1, 2, 3], float: false });
    expect(add.params.get(9)).toEqual({ kind: 'string', value: 'a b c' });
    expect(add.params.get(8)).toEqual({ kind: 'string', value: 'abc' });
    expect(floatParam(conv, 18, 0, 'm')).toBe(0);
  });

  it('asking for an int where the file has a float (or the reverse) is an error, not a bit pattern', () => {
    const [layer] = parse('7767517\n1 1\nInterp i 0 1 x 0=1.0 1=4\n').layers;
    expect(error(() => intParam(layer!, 0, 0, 'm.param')).message).toBe(
      'm.param: bad ncnn .param file: line 3 (Interp i): parameter 0 should be an integer but is the float 1.',
    );
    expect(error(() => floatParam(layer!, 1, 1, 'm.param')).message).toMatch(/parameter 1 should be a float \(written with "\." or "e"\) but is the integer 4/);
    expect(error(() => floatsParam(layer!, 1, 'm.param')).message).toMatch(/should be an array of floats/);
  });

  const cases: [string, string, RegExp][] = [
    ['wrong magic', '7767516\n1 1\nInput i 0 1 x\n', /the first line should be the magic number 7767517 but is "7767516"/],
    ['an empty file', '', /the first line should be the magic number 7767517 but is "\(empty\)"/],
    ['binary data', '\x00\x01\x02\x03garbage', /magic number 7767517/],
    ['no counts', '7767517\n', /line 2 should hold the layer count and the blob count/],
    ['a zero count', '7767517\n0 1\n', /two positive integers/],
    ['more layers declared than present', '7767517\n9 1\nInput i 0 1 x\n', /declares 9 layers but the file has 1 layer lines/],
    ['fewer blobs declared than named', '7767517\n2 1\nInput i 0 1 x\nSplit s 1 2 x a b\n', /declares 1 blobs but the layers name 3/],
    ['a huge count', '7767517\n2147483647 2147483647\nInput i 0 1 x\n', /declares 2147483647 layers but the file has 1/],
    ['a count past int32', '7767517\n99999999999 1\nInput i 0 1 x\n', /two positive integers/],
    ['a short layer line', '7767517\n1 1\nInput i 0\n', /line 3: a layer line needs "type name inputs outputs …"/],
    ['blob counts past the line', '7767517\n1 1\nSplit s 1 5 x a\n', /line 3: Split s declares 1 inputs and 5 outputs but the line names only 2 blobs/],
    ['a parameter where a blob should be', '7767517\n1 2\nConvolution c 1 1 x 0=4\n', /"0=4" stands where a blob name should/],
    ['a negative blob count', '7767517\n1 1\nInput i -1 1 x\n', /counts must be non-negative integers/],
    ['a token that is no parameter', '7767517\n1 1\nInput i 0 1 x hello\n', /"hello" is not a key=value parameter/],
    ['a parameter id past 31', '7767517\n1 1\nInput i 0 1 x 32=1\n', /parameter key 32 is outside ncnn's range/],
    ['a negative id', '7767517\n1 1\nInput i 0 1 x -5=1\n', /parameter key -5 is outside/],
    ['an array id past 31', '7767517\n1 1\nInput i 0 1 x -23332=1,1\n', /parameter key -23332 is outside/],
    ['a repeated parameter', '7767517\n1 1\nInput i 0 1 x 0=1 0=2\n', /parameter 0 is given twice/],
    ['an array longer than declared', '7767517\n1 1\nInput i 0 1 x -23310=1,0.2,0.3\n', /array parameter 10 declares 1 elements but lists 2/],
    ['a huge declared array', '7767517\n1 1\nInput i 0 1 x -23310=2000000000,0.2\n', /declares 2000000000 elements but lists 1/],
    ['an array mixing ints and floats', '7767517\n1 1\nInput i 0 1 x 3=1,2.5\n', /mixes integers and floats/],
    ['a malformed number', '7767517\n1 1\nInput i 0 1 x 0=1.2.3\n', /parameter 0: "1.2.3" is not a number/],
    ['a malformed array element', '7767517\n1 1\nInput i 0 1 x 3=1,,2\n', /element 1 "" is not a number/],
    ['an unclosed string', '7767517\n1 1\nInput i 0 1 x 9="abc\n', /the string "abc has no closing quote/],
    ['an int past int32', '7767517\n1 1\nInput i 0 1 x 0=4294967296\n', /"4294967296" is not a number/],
  ];
  for (const [what, input, message] of cases) {
    it(`refuses ${what}`, () => {
      const e = error(() => parse(input));
      expect(e.code).toBe('BAD_MODEL');
      expect(e.message).toMatch(/^m\.param: bad ncnn \.param file: /);
      expect(e.message).toMatch(message);
    });
  }

  it('refuses the binary .param.bin form by name', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setInt32(0, 7767517, true);
    const e = error(() => parseNcnnParam(bytes, 'm.param.bin'));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toMatch(/binary ncnn \.param\.bin/);
  });
});
