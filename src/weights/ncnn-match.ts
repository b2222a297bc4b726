import type { WgsrError } from '../errors.js';
import { modelError } from './model-error.js';
import type { NcnnGraph } from './ncnn-graph.js';
import { describeNode, type ActNode, type ConvNode, type NcnnNode } from './ncnn-nodes.js';

/**
 * What the architecture matchers share: checks that a node is the operation the architecture has
 * there, failing with a message that says what was expected where, and the result of a match —
 * which convolution and activation becomes which state-dict entry. Matchers walk the graph from
 * the output back to the input in loops of fixed-size steps, never recursing on the input.
 */

export type NcnnArch = 'RRDBNet' | 'SRVGGNetCompact';

/** One state-dict module taken from the graph, in the order the state dict lists them. */
export type NcnnEntry =
  | {
      readonly key: string;
      readonly conv: ConvNode;
      /** Input channel n of the state dict is channel inFrom[n] of the ncnn weights (undefined: the same). */
      readonly inFrom?: Int32Array;
      /** Output channel n of the state dict is channel outFrom[n] of the ncnn weights. */
      readonly outFrom?: Int32Array;
    }
  | { readonly key: string; readonly act: ActNode; readonly channels: number };

export interface NcnnMapping {
  readonly arch: NcnnArch;
  readonly entries: readonly NcnnEntry[];
}

/** Coefficients are float32 in the file: 0.2 is read as 0.200000003. */
const COEF_TOLERANCE = 1e-6;

export class Matcher {
  constructor(
    readonly graph: NcnnGraph,
    readonly arch: NcnnArch,
  ) {}

  fail(message: string): WgsrError {
    return modelError(
      'UNSUPPORTED_MODEL',
      this.graph.source,
      `this ncnn graph is neither RRDBNet nor SRVGGNetCompact. Read as ${this.arch}, ${message}.`,
    );
  }

  conv(node: NcnnNode, role: string): ConvNode {
    if (node.kind !== 'conv') throw this.fail(`${role} should be a convolution without activation, but is ${describeNode(node)}`);
    return node;
  }

  /** A fixed-slope activation (LeakyReLU) of a convolution's output. */
  leaky(node: NcnnNode, role: string, slope: number): ConvNode {
    if (node.kind !== 'act' || node.act.type !== 'leaky' || !near(node.act.slope, slope)) {
      throw this.fail(`${role} should be a convolution followed by LeakyReLU(${slope}), but is ${describeNode(node)}`);
    }
    return this.conv(node.input, role);
  }

  /** The terms of a sum with these coefficients, in the order asked (the file may list them in any). */
  sum(node: NcnnNode, role: string, coefs: readonly number[]): NcnnNode[] {
    const fail = () => this.fail(`${role} should be a sum with coefficients ${coefs.join(' and ')}, but is ${describeNode(node)}`);
    if (node.kind !== 'sum' || node.terms.length !== coefs.length) throw fail();
    const unused = [...node.terms];
    return coefs.map((coef) => {
      const i = unused.findIndex((t) => near(t.coef, coef));
      if (i < 0) throw fail();
      return unused.splice(i, 1)[0]!.node;
    });
  }

  same(got: NcnnNode, want: NcnnNode, role: string): void {
    if (got !== want) throw this.fail(`${role} should be ${describeNode(want)}, but is ${describeNode(got)}`);
  }
}

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= COEF_TOLERANCE;
}

/**
 * The channel order that turns ncnn's mode-1 (TensorFlow) pixel (un)shuffle into mode 0
 * (PyTorch): PyTorch's channel c·s² + k is mode 1's channel k·C + c.
 */
export function tensorflowToTorchOrder(channels: number, factor: number): Int32Array {
  const s2 = factor * factor;
  const order = new Int32Array(channels * s2);
  for (let c = 0; c < channels; c++) for (let k = 0; k < s2; k++) order[c * s2 + k] = k * channels + c;
  return order;
}
