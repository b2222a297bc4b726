/**
 * Emits pickle opcodes, one method per opcode (names as in Python's pickletools), for writing
 * the object tree of a torch checkpoint. Only what a state dict needs: no floats, no memo use by
 * default. Strings are BINUNICODE and ints the smallest of BININT1/BININT2/BININT/LONG1, as
 * Python's pickler writes them at protocol 2.
 */
export class PickleWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  raw(...bytes: number[]): this {
    return this.write(bytes);
  }

  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  mark(): this {
    return this.raw(0x28);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  none(): this {
    return this.raw(0x4e);
  }
  bool(value: boolean): this {
    return this.raw(value ? 0x88 : 0x89);
  }
  int(n: number): this {
    if (!Number.isSafeInteger(n)) throw new RangeError(`pickle int ${n} is not a safe integer`);
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a).write(littleEndian(n, 4));
    return this.raw(0x8a, 8).write(littleEndian(n, 8)); // LONG1, as pickle writes ints past 32 bits
  }
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x58).write(littleEndian(bytes.length, 4)).write(bytes);
  }
  global(module: string, name: string): this {
    return this.raw(0x63).write(new TextEncoder().encode(`${module}\n${name}\n`));
  }
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  appends(): this {
    return this.raw(0x65);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  put(i: number): this {
    return this.raw(0x71, i);
  }
  get(i: number): this {
    return this.raw(0x68, i);
  }
  /** A tuple of ints: MARK, the ints, TUPLE. */
  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /** The pickle so far (a copy). */
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private write(bytes: ArrayLike<number>): this {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }
}

/** Two's complement little-endian bytes of an integer. */
function littleEndian(n: number, size: number): number[] {
  const big = BigInt(n);
  return Array.from({ length: size }, (_, i) => Number((big >> BigInt(8 * i)) & 0xffn));
}
