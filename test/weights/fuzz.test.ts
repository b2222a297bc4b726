import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { isWgsrError } from '../../src/errors.js';
import { detectArchitecture } from '../../src/models/registry.js';
import { loadWeights } from '../../src/weights/load.js';
import { loadNcnn } from '../../src/weights/ncnn.js';
import { writeSafetensors } from '../../src/weights/safetensors.js';
import { readStoredZip } from '../../src/weights/zip.js';
import { int, runFuzz, type Random, type Seed } from '../helpers/fuzz.js';
import { HAVE_UPSCAYL, readUpscaylModel } from '../helpers/upscayl.js';
import { tinyRRDBNet, tinySRVGG } from './ncnn-models.js';
import { contiguous, f32Bytes, stateDictPickle, torchLegacy, writeZip, type ZipInput } from './torch-writer.js';

/**
 * Mutation fuzzing of the loaders: every outcome must be a loaded state dict or a WgsrError —
 * never another exception, a hang or a huge allocation. Runs ~10 s by default (the ncnn loader
 * ~5 s more); FUZZ_SECONDS=600 runs each that long and FUZZ_SEED picks another sequence
 * (`npm run fuzz:weights`); FUZZ_INPUTS stops each parser after that many inputs. A failure prints
 * the seed and iteration that reproduce it; each crash found becomes a test in hostile.test.ts
 * or fuzz-regressions.test.ts.
 */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/** A loader that allocates this much for inputs under 500 kB has let a size field through. */
const MAX_ARRAY_BUFFER_GROWTH = 256 * 1024 * 1024;

const modelsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');
const read = (name: string) => new Uint8Array(readFileSync(path.join(modelsDir, name, 'model.pth')));


const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_U32 = [0, 0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 1 << 24];
/** Pickle opcodes that move the stack, memo and marks: inserting them reshapes the object tree. */
const OPCODES = [0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x52, 0x51, 0x62, 0x65, 0x68, 0x71, 0x73, 0x74, 0x75, 0x7d, 0x5d, 0x29, 0x85, 0x86, 0x87, 0x88, 0x89, 0x93, 0x94, 0x81, 0x8a, 0x4b];

/** One random mutation: bit flips, byte stores, 32-bit stores, inserts, deletes, copies, cuts. */
function mutate(input: Uint8Array, random: Random): Uint8Array {
  const bytes = input.slice();
  const at = () => int(random, Math.max(1, bytes.length));
  switch (int(random, 8)) {
    case 0: {
      for (let k = 1 + int(random, 8); k > 0; k--) bytes[at()] ^= 1 << int(random, 8);
      return bytes;
    }
    case 1: {
      for (let k = 1 + int(random, 4); k > 0; k--) bytes[at()] = random() < 0.5 ? INTERESTING[int(random, INTERESTING.length)]! : int(random, 256);
      return bytes;
    }
    case 2: {
      const p = at();
      if (p + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(p, INTERESTING_U32[int(random, INTERESTING_U32.length)]!, random() < 0.5);
      return bytes;
    }
    case 3: {
      const p = at();
      const insert = Uint8Array.from({ length: 1 + int(random, 16) }, () => int(random, 256));
      return concat(bytes.subarray(0, p), insert, bytes.subarray(p));
    }
    case 4: {
      const p = at();
      return concat(bytes.subarray(0, p), bytes.subarray(p + 1 + int(random, 32)));
    }
    case 5: {
      const from = at();
      const to = at();
      return concat(bytes.subarray(0, to), bytes.subarray(from, from + 1 + int(random, 64)), bytes.subarray(to));
    }
    case 6: {
      const p = at();
      return concat(bytes.subarray(0, p), Uint8Array.of(OPCODES[int(random, OPCODES.length)]!, int(random, 256)), bytes.subarray(p));
    }
    default:
      return bytes.subarray(0, at());
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Inputs and how to mutate them. Zip checkpoints are also mutated entry by entry and re-zipped
 * with correct CRCs, so that mutations reach the unpickler and the tensor code behind the
 * zip reader's CRC check.
 */
function rawSeed(name: string, bytes: Uint8Array): Seed {
  return { name: `${name} (bytes)`, make: (random) => mutate(bytes, random) };
}

function entrySeed(name: string, bytes: Uint8Array): Seed {
  const entries = [...readStoredZip(bytes, name).values()].map((e) => ({ name: e.name, data: e.data.slice() }));
  return {
    name: `${name} (entries)`,
    make(random) {
      const mutated: ZipInput[] = entries.map((e) => ({ ...e }));
      // Mostly data.pkl (the unpickler), sometimes a storage or the byteorder/version records.
      const target = random() < 0.7 ? mutated.findIndex((e) => e.name.endsWith('data.pkl')) : int(random, mutated.length);
      if (random() < 0.05) mutated.splice(target, 1);
      else mutated[target] = { ...mutated[target]!, data: mutate(mutated[target]!.data, random) };
      return writeZip(mutated, { crc32 });
    },
  };
}

/** Old legacy writers too: pickle protocol 1, Python 2's OrderedDict, torch 0.3's _rebuild_tensor. */
function legacyVariants(): Seed[] {
  const A = '94823749832112';
  const B = '94823749900000';
  const tensors = [contiguous('conv.weight', [2, 2], 'FloatStorage', A), contiguous('conv.bias', [2], 'FloatStorage', B)];
  const storages = [
    { key: A, numel: 4, data: f32Bytes([1, 2, 3, 4]) },
    { key: B, numel: 2, data: f32Bytes([0.5, -0.5]) },
  ];
  return [
    rawSeed('legacy, pickle protocol 1', torchLegacy(stateDictPickle(tensors, { legacy: true, protocol: 1 }), storages, { protocol: 1 })),
    rawSeed('legacy, Python 2 OrderedDict', torchLegacy(stateDictPickle(tensors, { legacy: true, python2: true, wrapper: 'params' }), storages)),
    rawSeed('legacy, torch 0.3', torchLegacy(stateDictPickle(tensors, { legacy: true, python2: true, rebuildV1: true }), storages)),
  ];
}

/**
 * One test per parser, so that a benchmark run can take them one at a time
 * (`-t '.pth zip'`) and each reports its own rate and slowest input.
 */
const PARSERS: { name: string; seeds: Seed[] }[] = [
  {
    name: '.pth zip',
    seeds: [
      entrySeed('srvgg_x4_tiny', read('srvgg_x4_tiny')),
      entrySeed('srgan_x4_tiny', read('srgan_x4_tiny')),
      entrySeed('edsr_x2_tiny', read('edsr_x2_tiny')),
      rawSeed('srvgg_x4_tiny', read('srvgg_x4_tiny')),
    ],
  },
  { name: '.pth legacy', seeds: [rawSeed('esrgan_old_x4_tiny', read('esrgan_old_x4_tiny')), ...legacyVariants()] },
  { name: 'safetensors', seeds: [rawSeed('edsr_x2_tiny.safetensors', writeSafetensors(loadWeights(read('edsr_x2_tiny')).stateDict, { metadata: { format: 'pt' } }))] },
];

/** The three share the default time (a third each); FUZZ_SECONDS gives each that long. */
const PER_PARSER_SECONDS = process.env.FUZZ_SECONDS === undefined ? SECONDS / 3 : SECONDS;

describe('mutation fuzzing of the weight loaders', () => {
  for (const parser of PARSERS) {
    it(`every mutated ${parser.name} file loads or fails with a WgsrError (${PER_PARSER_SECONDS.toFixed(1)} s, FUZZ_SEED=${SEED})`, { timeout: PER_PARSER_SECONDS * 1000 + 60_000 }, async () => {
      await runFuzz({
        what: parser.name,
        seconds: PER_PARSER_SECONDS,
        seed: SEED,
        seeds: parser.seeds,
        attempt(input) {
          detectArchitecture(loadWeights(input, 'fuzz.pth').stateDict, 'fuzz.pth');
          return 0;
        },
        maxGrowth: MAX_ARRAY_BUFFER_GROWTH,
      });
    });
  }
});

// --- ncnn: a .param and a .bin ---------------------------------------------------------------

/** Tokens that probe the .param parser and the graph checks: extreme numbers, other layers, odd syntax. */
const NCNN_TOKENS = [
  '0', '1', '-1', '3', '2147483647', '-2147483648', '99999999999', '1.5', '2.000000e-01', '1e38', '-1e38', 'nan', 'inf',
  '=', '0=', '0=0', '6=0', '5=0', '9=2', '9=5', '4=-233', '1=1', '-23310=0', '-23310=2,1.0', '-23300=1,5', '30=1,2', '9="a b',
  'Split', 'Convolution', 'Deconvolution', 'Interp', 'PixelShuffle', 'Reorg', 'Eltwise', 'BinaryOp', 'Concat', 'PReLU', 'ReLU', 'Input', 'data', 'output',
];

/** One mutation of .param text: a line deleted, repeated or moved, a token replaced or renumbered, or bytes changed. */
function mutateParam(text: string, random: Random): Uint8Array {
  const lines = text.split('\n');
  const line = int(random, lines.length);
  switch (int(random, 6)) {
    case 0:
      lines.splice(line, 1);
      break;
    case 1:
      lines.splice(int(random, lines.length), 0, lines[line]!);
      break;
    case 2: {
      const other = int(random, lines.length);
      [lines[line], lines[other]] = [lines[other]!, lines[line]!];
      break;
    }
    case 3:
    case 4: {
      const tokens = lines[line]!.split(' ').filter(Boolean);
      const at = int(random, Math.max(1, tokens.length));
      const old = tokens[at] ?? '';
      const eq = old.indexOf('=');
      // Renumber a value (or a count) half the time, else put any probing token there.
      const number = /-?\d+$/.exec(old);
      tokens[at] = random() < 0.5 && number ? old.slice(0, number.index) + String(Number(number[0]) + [-1, 1, 2, 1000, -1000][int(random, 5)]!) : eq > 0 && random() < 0.5 ? old.slice(0, eq + 1) + NCNN_TOKENS[int(random, NCNN_TOKENS.length)] : NCNN_TOKENS[int(random, NCNN_TOKENS.length)]!;
      lines[line] = tokens.join(' ');
      break;
    }
    default:
      return mutate(new TextEncoder().encode(text), random);
  }
  return new TextEncoder().encode(lines.join('\n'));
}

/** The two files as one input: the .param's length (4 bytes), the .param, the .bin. */
function packNcnn(param: Uint8Array, bin: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + param.length + bin.length);
  new DataView(out.buffer).setUint32(0, param.length, true);
  out.set(param, 4);
  out.set(bin, 4 + param.length);
  return out;
}

function unpackNcnn(input: Uint8Array): { param: Uint8Array; bin: Uint8Array } {
  const length = Math.min(new DataView(input.buffer, input.byteOffset, input.byteLength).getUint32(0, true), input.length - 4);
  return { param: input.subarray(4, 4 + length), bin: input.subarray(4 + length) };
}

function ncnnSeeds(name: string, files: { param: Uint8Array; bin: Uint8Array }, mutateBin = true): Seed[] {
  const text = new TextDecoder().decode(files.param);
  const seeds: Seed[] = [{ name: `${name} (.param)`, make: (random) => packNcnn(mutateParam(text, random), files.bin) }];
  if (mutateBin) seeds.push({ name: `${name} (.bin)`, make: (random) => packNcnn(files.param, mutate(files.bin, random)) });
  return seeds;
}

/**
 * The released Real-ESRGAN weights (17 and 67 MB .bin files) make each input cost ~100 ms;
 * FUZZ_NCNN_RELEASED=0 leaves them out of a benchmark run of the parser on the tiny models.
 */
const RELEASED = process.env.FUZZ_NCNN_RELEASED !== '0';

const ncnnSeedList: Seed[] = [
  ...ncnnSeeds('tiny RRDBNet', tinyRRDBNet({ fp16: true })),
  ...ncnnSeeds('tiny RRDBNet, pnnx form', tinyRRDBNet({ residual: 'binaryop', act: 'separate', unshuffle: { factor: 2, mode: 1 } })),
  ...ncnnSeeds('tiny SRVGGNetCompact', tinySRVGG({ fp16: true, shuffleMode: 1 })),
  ...(HAVE_UPSCAYL && RELEASED ? [...ncnnSeeds('realesrgan-x4fast', readUpscaylModel('realesrgan-x4fast')), ...ncnnSeeds('realesrgan-x4plus', readUpscaylModel('realesrgan-x4plus'), false)] : []),
];

/** ncnn gets half the default time in the normal test run; FUZZ_SECONDS sets both. */
const NCNN_SECONDS = Number(process.env.FUZZ_SECONDS ?? SECONDS / 2);

describe('mutation fuzzing of the ncnn loader', () => {
  it(`every mutated .param / .bin pair loads or fails with a WgsrError (${NCNN_SECONDS} s, FUZZ_SEED=${SEED})`, { timeout: NCNN_SECONDS * 1000 + 60_000 }, async () => {
    await runFuzz({
      what: 'ncnn',
      seconds: NCNN_SECONDS,
      seed: SEED,
      seeds: ncnnSeedList,
      attempt(input) {
        const { param, bin } = unpackNcnn(input);
        try {
          detectArchitecture(loadNcnn(param, bin, 'fuzz.param').stateDict, 'fuzz.param');
        } catch (e) {
          // Every refusal names the file it is about.
          if (isWgsrError(e) && !/^fuzz\.(param|bin): /.test(e.message)) throw new Error(`error without the file name: ${e.message}`);
          throw e;
        }
        return 0;
      },
      maxGrowth: MAX_ARRAY_BUFFER_GROWTH,
    });
  });
});
