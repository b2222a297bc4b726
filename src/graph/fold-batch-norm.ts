import { WgsrError } from '../errors.js';
import { nodeInputs, type BatchNormParams, type ConvWeights, type Graph, type Node } from './ir.js';

/**
 * Folds an eval-mode BatchNorm2d into the conv before it, so the pair runs as one conv:
 * with s = weight / sqrt(var + eps), w'[co] = s[co]·w[co] and b'[co] = s[co]·(b[co] − mean[co]) + bias[co].
 * Pure CPU, done once at load time. Computed in float64, rounded once to f32.
 */
export function foldBatchNorm(
  conv: { weight: Float32Array; shape: readonly number[]; bias?: Float32Array },
  bn: Omit<BatchNormParams, 'name'>,
  label = 'conv + batch norm',
): { weight: Float32Array; bias: Float32Array } {
  const cout = conv.shape[0]!;
  const perOut = conv.weight.length / cout;
  for (const [k, v] of Object.entries({ weight: bn.weight, bias: bn.bias, running_mean: bn.runningMean, running_var: bn.runningVar })) {
    if (v.length !== cout) throw new WgsrError('BAD_MODEL', `${label}: batch norm ${k} has ${v.length} values for ${cout} conv output channels`);
  }
  if (conv.bias && conv.bias.length !== cout) throw new WgsrError('BAD_MODEL', `${label}: conv bias has ${conv.bias.length} values for ${cout} channels`);
  const weight = new Float32Array(conv.weight.length);
  const bias = new Float32Array(cout);
  for (let co = 0; co < cout; co++) {
    const s = bn.weight[co]! / Math.sqrt(bn.runningVar[co]! + bn.eps);
    for (let i = co * perOut; i < (co + 1) * perOut; i++) weight[i] = conv.weight[i]! * s;
    bias[co] = ((conv.bias?.[co] ?? 0) - bn.runningMean[co]!) * s + bn.bias[co]!;
  }
  return { weight, bias };
}

/**
 * The graph for inference: every batch norm (eval mode, running statistics) folded into the
 * conv that produces its input. The conv's output must have no other reader, as in every
 * network wgsr builds; anything else is refused rather than run differently.
 */
export function foldBatchNorms(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.op === 'batch_norm')) return graph;
  const readers = new Map<number, number>();
  for (const n of graph.nodes) for (const v of nodeInputs(n)) readers.set(v, (readers.get(v) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n, i) => [n.output, i]));
  const nodes: (Node | null)[] = [...graph.nodes];
  graph.nodes.forEach((n, i) => {
    if (n.op !== 'batch_norm') return;
    const p = producer.get(n.input);
    const conv = p === undefined ? undefined : nodes[p];
    if (conv?.op !== 'conv2d' || readers.get(n.input) !== 1 || n.input === graph.output || conv.activation.kind !== 'none' || conv.residual) {
      throw new Error(`batch norm ${n.params.name} does not follow a conv of its own; wgsr folds every batch norm into its conv for inference`);
    }
    const c = conv.weights;
    const weights: ConvWeights = { ...c, ...foldBatchNorm(c, n.params, `${c.name} + ${n.params.name}`), name: `${c.name}+${n.params.name}` };
    nodes[p!] = { ...conv, weights, output: n.output };
    nodes[i] = null;
  });
  return { ...graph, nodes: nodes.filter((n): n is Node => n !== null) };
}
