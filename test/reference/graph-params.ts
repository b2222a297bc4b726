import type { Node } from '../../src/graph/ir.js';
import type { StateDict } from '../../src/weights/types.js';

/**
 * Which state-dict keys a graph node's trainable tensors have: the one place that knows how the
 * IR names parameters. Conv weights carry their state-dict prefix (`body.0` → `body.0.weight`,
 * `body.0.bias`). PReLU slopes carry no name in the IR yet, so they are found by identity: a
 * model builder hands the state dict's own Float32Array to the activation, and `tensorNames`
 * maps each of those arrays back to its key. When the IR gains a key for PReLU, only
 * `nodeParameters` changes.
 */
export interface NodeParameter {
  key: string;
  role: 'weight' | 'bias' | 'slopes';
  /** The value the graph holds (used when the key is not being trained). */
  value: Float32Array;
}

/** Finds the key of a tensor the graph holds by the identity of its array. */
export type TensorNames = (data: Float32Array) => string | undefined;

export function tensorNames(sd: StateDict): TensorNames {
  const byArray = new Map<Float32Array, string>();
  for (const [key, t] of sd) byArray.set(t.data, key);
  return (data) => byArray.get(data);
}

export function nodeParameters(node: Node, names: TensorNames): NodeParameter[] {
  const params: NodeParameter[] = [];
  const activation = node.op === 'conv2d' || node.op === 'activation' ? node.activation : undefined;
  if (node.op === 'conv2d') {
    const { name, weight, bias } = node.weights;
    params.push({ key: `${name}.weight`, role: 'weight', value: weight });
    if (bias) params.push({ key: `${name}.bias`, role: 'bias', value: bias });
  }
  if (activation?.kind === 'prelu') {
    const key = names(activation.slopes);
    // Slopes the state dict does not hold (none of today's builders make such) stay constant.
    if (key !== undefined) params.push({ key, role: 'slopes', value: activation.slopes });
  }
  return params;
}
