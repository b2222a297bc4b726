/**
 * Test-only writer of small ncnn models (.param text + .bin bytes), written from ncnn's format
 * description (src/layer/*.cpp, src/modelbin.cpp), not from src/weights: layers are added by
 * blob name, and `files()` inserts the Split layers ncnn's converters put in front of every
 * blob read more than once, counts layers and blobs, and lays the weights out in layer order.
 * Every weight it writes is recorded as the float value it stands for, so a test can compare
 * the loaded state dict value by value.
 */

import { rng } from '../helpers/synthetic.js';

export const TAG_F16 = 0x01306b47;

interface Layer {
  type: string;
  name: string;
  bottoms: string[];
  tops: string[];
  params: string;
}

export interface ConvRecord {
  out: number;
  in: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

export interface ConvOptions {
  /** Fused activation: 'leaky' = 9=2 with slope, 'relu' = 9=1. */
  act?: 'none' | 'leaky' | 'relu';
  slope?: number;
  bias?: boolean;
  /** Extra params appended verbatim (kernel/pad overrides for refusal tests). */
  extra?: string;
  /** The output blob's name (default: a new one). */
  top?: string;
}

export class NcnnBuilder {
  readonly layers: Layer[] = [];
  private readonly chunks: Uint8Array[] = [];
  /** Convolutions by layer name, in order. */
  readonly convs = new Map<string, ConvRecord>();
  readonly prelus = new Map<string, Float32Array>();
  private readonly random: () => number;
  private counter = 0;

  constructor(
    readonly options: { fp16?: boolean; seed?: number } = {},
  ) {
    this.random = rng(options.seed ?? 1);
  }

  /** A new blob name. */
  blob(): string {
    return String(100 + this.counter++);
  }

  layer(type: string, name: string, bottoms: string[], tops: string[], params = ''): string[] {
    this.layers.push({ type, name, bottoms, tops, params });
    return tops;
  }

  input(name = 'data', channels?: number): string {
    return this.layer('Input', 'input.1', [], [name], channels === undefined ? '' : `2=${channels}`)[0]!;
  }

  conv(name: string, input: string, out: number, inp: number, o: ConvOptions = {}): string {
    const count = out * inp * 9;
    // The .bin: the tagged weights, then the biases as raw float32.
    let weight: Float32Array;
    if (this.options.fp16) weight = this.halfWeights(count);
    else {
      weight = this.floatValues(count, 0.3);
      this.chunks.push(new Uint8Array(4), f32(weight)); // tag 0: float32
    }
    const bias = o.bias === false ? undefined : this.floatValues(out, 0.1);
    if (bias) this.chunks.push(f32(bias));
    const act = o.act === 'leaky' ? ` 9=2 -23310=1,${ncnnFloat(o.slope ?? 0.2)}` : o.act === 'relu' ? ' 9=1' : '';
    const params = `0=${out} 1=3 4=1 5=${bias ? 1 : 0} 6=${count}${act}${o.extra ? ` ${o.extra}` : ''}`;
    this.convs.set(name, { out, in: inp, weight, bias });
    return this.layer('Convolution', name, [input], [o.top ?? this.blob()], params)[0]!;
  }

  prelu(name: string, input: string, slopes: number): string {
    const values = this.floatValues(slopes, 0.2);
    this.prelus.set(name, values);
    this.chunks.push(f32(values));
    return this.layer('PReLU', name, [input], [this.blob()], `0=${slopes}`)[0]!;
  }

  /** Raw bytes appended to the .bin as they are (for hand-made weight sections). */
  rawBin(bytes: Uint8Array): void {
    this.chunks.push(bytes);
  }

  /** The .param text and .bin bytes. */
  files(): { param: Uint8Array; bin: Uint8Array; text: string } {
    const layers = insertSplits(this.layers);
    const blobs = new Set(layers.flatMap((l) => [...l.bottoms, ...l.tops]));
    const lines = ['7767517', `${layers.length} ${blobs.size}`];
    for (const l of layers) {
      lines.push([l.type.padEnd(16), l.name.padEnd(24), l.bottoms.length, l.tops.length, ...l.bottoms, ...l.tops, l.params].join(' ').trimEnd());
    }
    const text = `${lines.join('\n')}\n`;
    return { param: new TextEncoder().encode(text), bin: concat(this.chunks), text };
  }

  private floatValues(count: number, scale: number): Float32Array {
    return Float32Array.from({ length: count }, () => Math.fround((this.random() * 2 - 1) * scale));
  }

  /**
   * Random float16 weights: the bit patterns go to the .bin (tag, data, padding to 4 bytes) and
   * their values, computed from the IEEE layout here, are what the loader must produce.
   */
  private halfWeights(count: number): Float32Array {
    const bits = new Uint16Array(count + (count % 2));
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const sign = this.random() < 0.5 ? 1 : 0;
      const exponent = 8 + Math.floor(this.random() * 8); // 2^-7 … 2^0
      const mantissa = Math.floor(this.random() * 1024);
      bits[i] = (sign << 15) | (exponent << 10) | mantissa;
      values[i] = (sign ? -1 : 1) * 2 ** (exponent - 15) * (1 + mantissa / 1024);
    }
    const tag = new Uint8Array(4);
    new DataView(tag.buffer).setUint32(0, TAG_F16, true);
    this.chunks.push(tag, new Uint8Array(bits.buffer));
    return values;
  }
}

/** Splits in front of every blob read more than once, renaming its readers as ncnn's tools do. */
function insertSplits(layers: Layer[]): Layer[] {
  const readers = new Map<string, number>();
  for (const l of layers) for (const b of l.bottoms) readers.set(b, (readers.get(b) ?? 0) + 1);
  const used = new Map<string, number>();
  const out: Layer[] = [];
  let splits = 0;
  for (const l of layers) {
    const bottoms = l.bottoms.map((b) => {
      const n = readers.get(b)!;
      if (n < 2) return b;
      const i = used.get(b) ?? 0;
      used.set(b, i + 1);
      return `${b}_splitncnn_${n - 1 - i}`;
    });
    out.push({ ...l, bottoms });
    for (const t of l.tops) {
      const n = readers.get(t) ?? 0;
      if (n >= 2) out.push({ type: 'Split', name: `splitncnn_${splits++}`, bottoms: [t], tops: Array.from({ length: n }, (_, i) => `${t}_splitncnn_${i}`), params: '' });
    }
  }
  return out;
}

/** A float as ncnn's tools print one (C's %e): 2.000000e-01. */
export function ncnnFloat(v: number): string {
  return v.toExponential(6).replace(/e([+-])(\d)$/, 'e$10$2');
}

export function f32(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
