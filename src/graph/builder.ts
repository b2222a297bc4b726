import type { Activation, BatchNormParams, ConvWeights, Graph, Node, Value, ValueId } from './ir.js';
import { gcd } from './rational.js';

/**
 * Builds a graph op by op, checking shapes as it goes, so a model file reads like its PyTorch
 * forward(). Nothing is fused here: `fuse.ts` does that for every model alike.
 */
export class GraphBuilder {
  private readonly values: Value[] = [];
  private readonly nodes: Node[] = [];
  readonly input: ValueId;

  constructor(inChannels: number) {
    this.input = this.newValue(inChannels, 1, 1);
  }

  channels(v: ValueId): number {
    return this.value(v).channels;
  }

  conv(x: ValueId, weights: ConvWeights): ValueId {
    const [cout, cin, k, k2] = weights.shape;
    const v = this.value(x);
    if (k !== k2 || k % 2 !== 1) throw new Error(`${weights.name}: only square odd kernels are supported, got ${k}x${k2}`);
    if (cin !== v.channels) throw new Error(`${weights.name}: expects ${cin} input channels, the graph has ${v.channels}`);
    if (weights.bias && weights.bias.length !== cout) throw new Error(`${weights.name}: bias has ${weights.bias.length} values for ${cout} channels`);
    const output = this.newValue(cout, v.num, v.den);
    this.nodes.push({ op: 'conv2d', input: x, output, weights, inputTransform: { kind: 'none' }, activation: { kind: 'none' } });
    return output;
  }

  activation(x: ValueId, activation: Activation): ValueId {
    const v = this.value(x);
    if (activation.kind === 'prelu' && activation.slopes.length !== 1 && activation.slopes.length !== v.channels) {
      throw new Error(`PReLU has ${activation.slopes.length} slopes for ${v.channels} channels`);
    }
    const output = this.newValue(v.channels, v.num, v.den);
    this.nodes.push({ op: 'activation', input: x, output, activation });
    return output;
  }

  /** BatchNorm2d (inference folds it into the conv before it; training uses batch statistics). */
  batchNorm(x: ValueId, params: BatchNormParams): ValueId {
    const v = this.value(x);
    for (const [k, a] of [['weight', params.weight], ['bias', params.bias], ['running_mean', params.runningMean], ['running_var', params.runningVar]] as const) {
      if (a.length !== v.channels) throw new Error(`${params.name}: batch norm ${k} has ${a.length} values for ${v.channels} channels`);
    }
    const output = this.newValue(v.channels, v.num, v.den);
    this.nodes.push({ op: 'batch_norm', input: x, output, params });
    return output;
  }

  leakyRelu(x: ValueId, slope = 0.2): ValueId {
    return this.activation(x, { kind: 'leaky_relu', slope });
  }

  upsampleNearest(x: ValueId, factor: number): ValueId {
    const v = this.value(x);
    const output = this.newValue(v.channels, v.num * factor, v.den);
    this.nodes.push({ op: 'upsample_nearest', input: x, output, factor });
    return output;
  }

  pixelUnshuffle(x: ValueId, factor: 2 | 4): ValueId {
    const v = this.value(x);
    const output = this.newValue(v.channels * factor * factor, v.num, v.den * factor);
    this.nodes.push({ op: 'pixel_unshuffle', input: x, output, factor });
    return output;
  }

  pixelShuffle(x: ValueId, factor: number): ValueId {
    const v = this.value(x);
    if (v.channels % (factor * factor) !== 0) throw new Error(`pixel_shuffle(${factor}) needs channels divisible by ${factor * factor}, got ${v.channels}`);
    const output = this.newValue(v.channels / (factor * factor), v.num * factor, v.den);
    this.nodes.push({ op: 'pixel_shuffle', input: x, output, factor });
    return output;
  }

  concat(inputs: readonly ValueId[]): ValueId {
    const first = this.value(inputs[0]!);
    for (const id of inputs) this.requireSameSize(first, this.value(id), 'concat');
    const output = this.newValue(
      inputs.reduce((n, id) => n + this.value(id).channels, 0),
      first.num,
      first.den,
    );
    this.nodes.push({ op: 'concat', inputs: [...inputs], output });
    return output;
  }

  /** alpha·a + beta·upsample_nearest(b, bUpsample) */
  add(a: ValueId, b: ValueId, alpha = 1, beta = 1, bUpsample = 1): ValueId {
    const va = this.value(a);
    const vb = this.value(b);
    if (va.channels !== vb.channels) throw new Error(`add: ${va.channels} vs ${vb.channels} channels`);
    this.requireSameSize(va, { ...vb, num: vb.num * bUpsample }, 'add');
    const output = this.newValue(va.channels, va.num, va.den);
    this.nodes.push({ op: 'add', a, b, output, alpha, beta, bUpsample });
    return output;
  }

  build(output: ValueId): Graph {
    return { values: [...this.values], nodes: [...this.nodes], input: this.input, output };
  }

  private value(id: ValueId): Value {
    const v = this.values[id];
    if (!v) throw new Error(`unknown value ${id}`);
    return v;
  }

  private newValue(channels: number, num: number, den: number): ValueId {
    const g = gcd(num, den);
    const id = this.values.length;
    this.values.push({ id, channels, num: num / g, den: den / g });
    return id;
  }

  private requireSameSize(a: Pick<Value, 'num' | 'den'>, b: Pick<Value, 'num' | 'den'>, what: string) {
    if (a.num * b.den !== b.num * a.den) throw new Error(`${what}: inputs have different spatial sizes`);
  }
}
