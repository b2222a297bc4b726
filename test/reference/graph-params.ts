import type { Node } from '../../src/graph/ir.js';

/**
 * Which state-dict keys a graph node's trainable tensors have: the one place that knows how the
 * IR names parameters. Convs and batch norms carry their state-dict prefix (`body.0` →
 * `body.0.weight`, `body.0.bias`); PReLU slopes carry their key.
 */
export interface NodeParameter {
  key: string;
  role: 'weight' | 'bias' | 'slopes';
  /** The value the graph holds (used when the key is not being trained). */
  value: Float32Array;
}

export function nodeParameters(node: Node): NodeParameter[] {
  const params: NodeParameter[] = [];
  if (node.op === 'conv2d') {
    const { name, weight, bias } = node.weights;
    params.push({ key: `${name}.weight`, role: 'weight', value: weight });
    if (bias) params.push({ key: `${name}.bias`, role: 'bias', value: bias });
  }
  if (node.op === 'batch_norm') {
    const { name, weight, bias } = node.params;
    params.push({ key: `${name}.weight`, role: 'weight', value: weight }, { key: `${name}.bias`, role: 'bias', value: bias });
  }
  const activation = node.op === 'conv2d' || node.op === 'activation' ? node.activation : undefined;
  if (activation?.kind === 'prelu') params.push({ key: activation.key, role: 'slopes', value: activation.slopes });
  return params;
}
