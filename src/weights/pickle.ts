import { modelError } from './model-error.js';

/**
 * A safe unpickler: a stack machine for the pickle opcodes torch.save writes (protocol 2, and the
 * protocol 3–5 opcodes a newer pickler may use) that never executes anything from the file.
 *
 * Python's pickle imports any module and calls any callable a file names (GLOBAL + REDUCE), which
 * is how a .pth file runs `os.system`. Here a global is only ever resolved through `findGlobal`,
 * which the caller backs with an allowlist; REDUCE / NEWOBJ / BUILD can only apply what it
 * returned. Every length is checked against the bytes that remain before anything is read or
 * allocated, and the machine is iterative, so hostile input cannot recurse or overflow.
 */

/** What unpickling produces. Tuples, lists and sets become arrays; dicts become Maps. */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleDict | PickleObject;
export type PickleDict = Map<PickleValue, PickleValue>;

/** A value made by an allowlisted global (a tensor view, a storage type…); opaque to the machine. */
export interface PickleObject {
  readonly pickleType: string;
}

/** An allowlisted callable: what GLOBAL pushes and REDUCE / NEWOBJ call. */
export class PickleGlobal implements PickleObject {
  readonly pickleType = 'global';
  constructor(
    /** `module.name`, for messages. */
    readonly qualifiedName: string,
    readonly call: (args: PickleValue[]) => PickleValue,
  ) {}
}

export interface UnpickleOptions {
  /** File name, for messages. */
  source: string;
  /** What is being read ("data.pkl", "the state dict pickle"), for messages. */
  label: string;
  /** Resolves a global; must throw WgsrError('UNSAFE_MODEL') for anything not allowlisted. */
  findGlobal(module: string, name: string): PickleGlobal;
  /** Resolves a persistent id (torch's storage references). Without it, BINPERSID is an error. */
  persistentLoad?(pid: PickleValue): PickleValue;
}

/** Text lines (GLOBAL module/name, INT, …) longer than this are not something torch writes. */
const MAX_LINE = 1024;
/** Python ints wider than this are not weights metadata; refusing them bounds BigInt work. */
const MAX_LONG_BYTES = 64;

/** Unpickles one object starting at `start`; returns it and the offset just past its STOP. */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): { value: PickleValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: PickleValue[] = [];
  /** Stack heights at each open MARK; items below the innermost one are out of reach, as in Python. */
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = start;
  let opAt = start;

  const fail = (what: string) =>
    modelError('BAD_MODEL', options.source, `corrupt pickle (${options.label}, byte ${opAt - start}): ${what}. The file is damaged or is not a PyTorch checkpoint.`);
  const need = (n: number) => {
    if (!(n >= 0) || pos + n > bytes.length) throw fail(`needs ${n} more bytes but the data ends at byte ${bytes.length - start}`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const low = view.getUint32(pos, true);
    const high = view.getUint32(pos + 4, true);
    pos += 8;
    if (high >= 0x200000) throw fail('a 64-bit length beyond any file size');
    return high * 4294967296 + low;
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > MAX_LINE) throw fail('an unterminated or over-long text field');
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (n: number) => {
    try {
      return utf8.decode(take(n));
    } catch {
      throw fail('a string that is not valid UTF-8');
    }
  };

  const floor = () => (marks.length ? marks[marks.length - 1]! : 0);
  const pop = (): PickleValue => {
    if (stack.length <= floor()) throw fail('pops from an empty stack');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length <= floor()) throw fail('reads an empty stack');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PickleValue[] => {
    const at = marks.pop();
    if (at === undefined) throw fail('has no MARK to pop to');
    return stack.splice(at);
  };
  const dictAt = (v: PickleValue): PickleDict => {
    if (!(v instanceof Map)) throw fail(`sets items on a ${describe(v)}, not a dict`);
    return v;
  };
  const listAt = (v: PickleValue): PickleValue[] => {
    if (!Array.isArray(v)) throw fail(`appends to a ${describe(v)}, not a list`);
    return v;
  };
  const globalAt = (v: PickleValue): PickleGlobal => {
    if (!(v instanceof PickleGlobal)) throw fail(`calls a ${describe(v)}`);
    return v;
  };
  const setItems = (dict: PickleDict, items: PickleValue[]) => {
    if (items.length % 2) throw fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  };
  const memoGet = (index: number) => {
    if (!memo.has(index)) throw fail(`memo entry ${index} is read before it is written`);
    stack.push(memo.get(index)!);
  };
  const memoPut = (index: number) => memo.set(index, top());
  const long = (n: number) => {
    if (n > MAX_LONG_BYTES) throw fail(`a ${n}-byte integer`);
    return decodeLong(take(n));
  };
  const global = (module: string, name: string) => {
    stack.push(options.findGlobal(module, name));
  };
  const textInt = (s: string) => {
    if (s === '00') return false; // protocol 0 spells booleans as I00 / I01
    if (s === '01') return true;
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[-+]?\d{1,40}$/.test(t)) throw fail(`an integer "${s.slice(0, 40)}"`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) throw fail(`pickle protocol ${protocol} (the newest Python writes is 5)`);
        break;
      }
      case 0x95: // FRAME: a length hint for buffered readers; the data follows inline.
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw fail(`STOP with ${stack.length} items on the stack`);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP (of an item, or of an empty MARK)
        if (stack.length > floor()) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x49: // INT (text)
        stack.push(textInt(line()));
        break;
      case 0x4c: // LONG (text)
        stack.push(textInt(line()));
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) throw fail('a negative length');
        stack.push(long(n));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: { // FLOAT (text, as Python's repr writes it)
        const s = line().trim();
        const special = new Map([['inf', Infinity], ['-inf', -Infinity], ['nan', NaN]]);
        const v = special.get(s.toLowerCase()) ?? (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : undefined);
        if (v === undefined) throw fail(`a float "${s.slice(0, 40)}"`);
        stack.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: { // BINSTRING (Python 2 str, which torch used for keys)
        const n = i32();
        if (n < 0) throw fail('a negative length');
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x61: { // APPEND
        const v = pop();
        listAt(top()).push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        const list = listAt(top());
        for (const item of items) list.push(item);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const dict: PickleDict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        dictAt(top()).set(k, v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(dictAt(top()), items);
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x70: // PUT (text)
        memoPut(Number(textInt(line())));
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;
      case 0x67: // GET (text)
        memoGet(Number(textInt(line())));
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL with non-string names');
        global(module, name);
        break;
      }
      case 0x52: { // REDUCE: callable(*args)
        const args = pop();
        const callable = globalAt(pop());
        if (!Array.isArray(args)) throw fail(`calls ${callable.qualifiedName} with ${describe(args)} arguments`);
        stack.push(callable.call(args));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is a class we allow.
        const args = pop();
        const cls = globalAt(pop());
        if (!Array.isArray(args)) throw fail(`constructs ${cls.qualifiedName} with ${describe(args)} arguments`);
        stack.push(cls.call(args));
        break;
      }
      case 0x62: { // BUILD: obj.__setstate__(state)
        // An OrderedDict state dict carries `_metadata` (module versions) as instance state:
        // nothing we need, so it is dropped. Anything else with state is not what torch.save
        // writes for weights.
        pop();
        const target = top();
        if (!(target instanceof Map)) throw fail(`sets state on a ${describe(target)}`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw fail('a persistent reference where none is expected');
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID (text)
        const pid = line();
        if (!options.persistentLoad) throw fail('a persistent reference where none is expected');
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x92: // NEWOBJ_EX
        throw modelError('UNSAFE_MODEL', options.source, `refusing to load: the pickle (${options.label}) builds an arbitrary object (opcode 0x${op.toString(16)}), which torch.save never writes for weights. wgsr never executes code from a model file.`);
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw modelError('UNSAFE_MODEL', options.source, `refusing to load: the pickle (${options.label}) imports through the copyreg extension registry (opcode 0x${op.toString(16)}). wgsr never executes code from a model file.`);
      default:
        throw fail(`unknown or unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Little-endian two's complement → number when it is exactly representable, else bigint. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  if (b.length <= 6) {
    let v = 0;
    for (let i = b.length - 1; i >= 0; i--) v = v * 256 + b[i]!;
    return b[b.length - 1]! & 0x80 ? v - 2 ** (8 * b.length) : v;
  }
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function describe(v: PickleValue | undefined): string {
  if (v === null) return 'None';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'tuple/list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PickleGlobal) return `global ${v.qualifiedName}`;
  if (typeof v === 'object') return v.pickleType;
  return typeof v;
}
