/**
 * Uniform layouts, defined once. A kernel declares its parameters as a list of typed fields;
 * from that one definition come the WGSL struct text, the byte size (WGSL alignment rules for
 * the uniform address space) and the packed bytes. No hand-written offsets anywhere.
 */
export type UniformType = 'u32' | 'i32' | 'f32' | 'vec2u' | 'vec2i' | 'vec2f' | 'vec4u' | 'vec4i' | 'vec4f';

export interface UniformField {
  readonly name: string;
  readonly type: UniformType;
}

type ValueOf<T extends UniformType> = T extends 'u32' | 'i32' | 'f32' ? number : readonly number[];
export type UniformValues<F extends readonly UniformField[]> = { [K in F[number] as K['name']]: ValueOf<K['type']> };

const LAYOUT: Record<UniformType, { size: number; align: number; lanes: number; kind: 'u' | 'i' | 'f' }> = {
  u32: { size: 4, align: 4, lanes: 1, kind: 'u' },
  i32: { size: 4, align: 4, lanes: 1, kind: 'i' },
  f32: { size: 4, align: 4, lanes: 1, kind: 'f' },
  vec2u: { size: 8, align: 8, lanes: 2, kind: 'u' },
  vec2i: { size: 8, align: 8, lanes: 2, kind: 'i' },
  vec2f: { size: 8, align: 8, lanes: 2, kind: 'f' },
  vec4u: { size: 16, align: 16, lanes: 4, kind: 'u' },
  vec4i: { size: 16, align: 16, lanes: 4, kind: 'i' },
  vec4f: { size: 16, align: 16, lanes: 4, kind: 'f' },
};

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

export interface UniformMember {
  name: string;
  type: UniformType;
  offset: number;
  size: number;
}

export class UniformStruct<F extends readonly UniformField[]> {
  readonly members: readonly UniformMember[];
  /** Byte size of the struct: a multiple of 16, as uniform structs must be. */
  readonly size: number;

  constructor(
    readonly name: string,
    readonly fields: F,
  ) {
    let offset = 0;
    const members: UniformMember[] = [];
    for (const f of fields) {
      const { size, align } = LAYOUT[f.type];
      offset = roundUp(offset, align);
      members.push({ name: f.name, type: f.type, offset, size });
      offset += size;
    }
    this.members = members;
    this.size = roundUp(Math.max(offset, 16), 16);
  }

  /** The WGSL declaration, e.g. `struct ConvParams { cin: u32, ... }`. */
  wgsl(): string {
    return `struct ${this.name} {\n${this.fields.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n}`;
  }

  pack(values: UniformValues<F>): ArrayBuffer {
    const bytes = new ArrayBuffer(this.size);
    const view = new DataView(bytes);
    const record = values as unknown as Record<string, number | readonly number[]>;
    for (const m of this.members) {
      const v = record[m.name];
      if (v === undefined) throw new Error(`uniform ${this.name}.${m.name} has no value`);
      const { lanes, kind } = LAYOUT[m.type];
      const lanesValues = typeof v === 'number' ? [v] : v;
      if (lanesValues.length !== lanes) throw new Error(`uniform ${this.name}.${m.name} needs ${lanes} values`);
      lanesValues.forEach((x, i) => {
        const at = m.offset + i * 4;
        if (kind === 'f') view.setFloat32(at, x, true);
        else if (kind === 'i') view.setInt32(at, x, true);
        else {
          if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`uniform ${this.name}.${m.name} = ${x} is not a u32`);
          view.setUint32(at, x, true);
        }
      });
    }
    return bytes;
  }
}

export function uniformStruct<const F extends readonly UniformField[]>(name: string, fields: F): UniformStruct<F> {
  return new UniformStruct(name, fields);
}
