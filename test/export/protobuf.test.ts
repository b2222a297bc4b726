import { describe, expect, it } from 'vitest';
import { encodeVarint, ProtoWriter } from '../../src/export/protobuf.js';

describe('protobuf wire format', () => {
  it('varints: the examples of the protobuf encoding guide, and int64 −1 as ten bytes', () => {
    expect([...encodeVarint(1)]).toEqual([0x01]);
    expect([...encodeVarint(150)]).toEqual([0x96, 0x01]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(2 ** 35)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => encodeVarint(0.5)).toThrow(/safe integer/);
  });

  it('fields: key = field·8 + wire type; nested messages are length-prefixed', () => {
    // The guide's Test1 { a = 150 } and Test2 { b = "testing" }.
    expect([...new ProtoWriter().varint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([0x12, 0x07, ...new TextEncoder().encode('testing')]);
    // Test3 { c = Test1 { a = 150 } }
    expect([...new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).finish()]).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    // float 1.0 as fixed32 little-endian under field 2 (wire type 5).
    expect([...new ProtoWriter().float(2, 1).finish()]).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  });
});
