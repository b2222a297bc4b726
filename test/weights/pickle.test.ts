import { describe, expect, it } from 'vitest';
import { PickleGlobal, unpickle, type PickleValue, type UnpickleOptions } from '../../src/weights/pickle.js';
import { torchGlobal } from '../../src/weights/torch-pickle.js';
import { PickleWriter } from './torch-writer.js';
import { error } from '../helpers/errors.js';

const options: UnpickleOptions = {
  source: 'test.pkl',
  label: 'data.pkl',
  findGlobal: (module, name) => torchGlobal(module, name, 'test.pkl'),
};

function load(bytes: Uint8Array, opts: Partial<UnpickleOptions> = {}): PickleValue {
  return unpickle(bytes, 0, { ...options, ...opts }).value;
}

const p = () => new PickleWriter().proto(2);

describe('safe unpickler: values', () => {
  it('reads the integer opcodes, including negative and arbitrary-width ones', () => {
    expect(load(p().int(7).stop().bytes())).toBe(7);
    expect(load(p().int(513).stop().bytes())).toBe(513);
    expect(load(p().int(-5).stop().bytes())).toBe(-5);
    expect(load(p().int(70000).stop().bytes())).toBe(70000);
    // LONG1 with 2 bytes 0x00 0x80 is -32768; with 10 bytes it is torch's magic number.
    expect(load(p().raw(0x8a, 2, 0x00, 0x80).stop().bytes())).toBe(-32768);
    const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    expect(load(p().raw(0x8a, 10, ...magic).stop().bytes())).toBe(0x1950a86a20f9469cfc6cn);
    expect(load(p().raw(0x49, ...new TextEncoder().encode('123\n')).stop().bytes())).toBe(123);
    expect(load(p().raw(0x49, ...new TextEncoder().encode('01\n')).stop().bytes())).toBe(true);
  });

  it('reads strings, bytes, floats and constants', () => {
    expect(load(p().str('conv_first.weight').stop().bytes())).toBe('conv_first.weight');
    expect(load(p().raw(0x8c, 2, 0xc3, 0xa9).stop().bytes())).toBe('é');
    expect(load(p().raw(0x55, 2, 0x61, 0xe9).stop().bytes())).toBe('aé'); // Python 2 str, latin-1
    expect(load(p().raw(0x43, 3, 1, 2, 3).stop().bytes())).toEqual(Uint8Array.of(1, 2, 3));
    expect(load(p().raw(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0).stop().bytes())).toBe(1.5);
    expect(load(p().raw(0x46, ...new TextEncoder().encode('-2.5e-3\n')).stop().bytes())).toBe(-0.0025);
    expect(load(p().none().stop().bytes())).toBe(null);
    expect(load(p().bool(true).stop().bytes())).toBe(true);
  });

  it('builds tuples, lists, dicts and follows the memo', () => {
    const tuple = p().int(1).int(2).raw(0x86).stop().bytes();
    expect(load(tuple)).toEqual([1, 2]);
    const list = p().emptyList().put(0).mark().str('a').get(0).appends().stop().bytes();
    const value = load(list) as PickleValue[];
    expect(value[0]).toBe('a');
    expect(value[1]).toBe(value); // a list containing itself: no recursion, no hang
    const dict = p().emptyDict().mark().str('epoch').int(5).str('lr').raw(0x47, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a).setitems().stop().bytes();
    expect(load(dict)).toEqual(new Map<PickleValue, PickleValue>([['epoch', 5], ['lr', 0.1]]));
  });

  it('accepts protocol 4 framing, MEMOIZE and STACK_GLOBAL for allowlisted names', () => {
    const bytes = new PickleWriter().proto(4).raw(0x95, 20, 0, 0, 0, 0, 0, 0, 0).stackGlobal('collections', 'OrderedDict').raw(0x94).emptyTuple().reduce().stop().bytes();
    expect(load(bytes)).toEqual(new Map());
  });

  it('drops the _metadata state BUILD sets on a state dict', () => {
    const bytes = p().global('collections', 'OrderedDict').emptyTuple().reduce().emptyDict().str('_metadata').emptyDict().setitem().build().stop().bytes();
    expect(load(bytes)).toEqual(new Map());
  });
});

describe('safe unpickler: refusals', () => {
  it.each([
    ['posix', 'system'],
    ['os', 'system'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['subprocess', 'Popen'],
    ['torch.storage', '_load_from_bytes'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['__torch__.MyModule', 'forward'],
  ])('refuses the global %s.%s by name, before anything is called', (module, name) => {
    const bytes = p().global(module, name).str('touch /tmp/pwned').raw(0x85).reduce().stop().bytes();
    const e = error(() => load(bytes));
    expect(e.code).toBe('UNSAFE_MODEL');
    expect(e.message).toContain(`${module}.${name}`);
    expect(e.message).toContain('test.pkl');
  });

  it('refuses STACK_GLOBAL for names off the allowlist too', () => {
    const e = error(() => load(new PickleWriter().proto(4).stackGlobal('builtins', 'eval').stop().bytes()));
    expect(e.code).toBe('UNSAFE_MODEL');
    expect(e.message).toContain('builtins.eval');
  });

  it.each([
    ['INST', [0x28, 0x69, ...new TextEncoder().encode('os\nsystem\n')]],
    ['OBJ', [0x28, 0x6f]],
    ['NEWOBJ_EX', [0x92]],
    ['EXT1', [0x82, 1]],
  ])('refuses the object-building opcode %s', (_name, ops) => {
    expect(error(() => load(p().raw(...ops).stop().bytes())).code).toBe('UNSAFE_MODEL');
  });

  it('only ever calls what findGlobal returned', () => {
    // REDUCE on a string (what a hostile pickle might try instead of a global) is not a call.
    const bytes = p().str('os.system').emptyTuple().reduce().stop().bytes();
    expect(error(() => load(bytes)).code).toBe('BAD_MODEL');
    let calls = 0;
    const counting = new PickleGlobal('test.counter', () => (calls++, null));
    load(p().global('test', 'counter').emptyTuple().reduce().stop().bytes(), { findGlobal: () => counting });
    expect(calls).toBe(1);
  });

  it.each([
    ['no STOP', p().int(1).bytes()],
    ['pop from an empty stack', p().raw(0x30).stop().bytes()],
    ['SETITEM on a list', p().emptyList().str('k').int(1).setitem().stop().bytes()],
    ['memo read before written', p().get(3).stop().bytes()],
    ['unknown opcode', p().raw(0xff).stop().bytes()],
    ['two items at STOP', p().int(1).int(2).stop().bytes()],
    ['BINUNICODE longer than the data', p().raw(0x58, 0xff, 0xff, 0xff, 0x7f, 0x61).stop().bytes()],
    ['LONG4 of 2 GB', p().raw(0x8b, 0xff, 0xff, 0xff, 0x7f).stop().bytes()],
    ['BINBYTES8 beyond 2^53', p().raw(0x8e, 0, 0, 0, 0, 0, 0, 0, 0x40).stop().bytes()],
    ['invalid UTF-8', p().raw(0x8c, 1, 0xff).stop().bytes()],
    ['persistent id without a resolver', p().str('x').binpersid().stop().bytes()],
    ['protocol 9', new PickleWriter().proto(9).int(1).stop().bytes()],
  ])('rejects %s as a corrupt pickle (BAD_MODEL), allocating nothing', (_what, bytes) => {
    const e = error(() => load(bytes));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(/^test\.pkl: corrupt pickle \(data\.pkl, byte \d+\)/);
  });
});

describe('torch storage types', () => {
  it('names a storage dtype wgsr does not read as unsupported, not unsafe', () => {
    const e = error(() => load(p().global('torch', 'ComplexFloatStorage').stop().bytes()));
    expect(e.code).toBe('UNSUPPORTED_MODEL');
    expect(e.message).toContain('torch.ComplexFloatStorage, a dtype wgsr does not read');
  });
});
