/**
 * The part of the protobuf wire format an ONNX writer needs: varints, 32-bit floats and
 * length-delimited fields (strings, bytes, nested messages). Writing only, no schema: the caller
 * names field numbers (see onnx.ts for ONNX's).
 *
 * A message is a list of byte chunks, so a nested message is embedded by reference (its length
 * is known) and a 67 MB weight blob is never copied until `finish()`.
 */
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** int32/int64/enum/bool field. Negative values take ten bytes (two's complement, as protobuf wants). */
  varint(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  message(field: number, inner: ProtoWriter): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(inner.size));
    for (const c of inner.chunks) this.push(c);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private key(field: number, wire: number): void {
    this.push(encodeVarint(field * 8 + wire));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
}

/** Base-128 varint of an integer in the int64 range (exact up to 2^53). */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new Error(`varint: ${value} is not a safe integer`);
  // Negative numbers are their 64-bit two's complement: BigInt keeps the high bits exact.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
