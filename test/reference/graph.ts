import type { Graph, Node } from '../../src/graph/ir.js';
import { activationRef } from './activation.js';
import { batchNormEvalRef } from './batch-norm.js';
import { concatRef } from './concat.js';
import { conv2dRef } from './conv2d.js';
import { pixelShuffleRef } from './pixel-shuffle.js';
import { pixelUnshuffleRef } from './pixel-unshuffle.js';
import { scaledAddRef } from './scaled-add.js';
import type { Tensor3 } from './tensor.js';
import { upsampleNearestRef } from './upsample-nearest.js';

/**
 * Runs a graph on the CPU node by node with the plain reference kernels: no fusion, no
 * placement, no reuse. The executor's fused and planned run must agree with it.
 */
export function runGraphRef(graph: Graph, input: Tensor3): Tensor3 {
  const values = new Map<number, Tensor3>([[graph.input, input]]);
  const get = (id: number) => {
    const v = values.get(id);
    if (!v) throw new Error(`value ${id} read before it was computed`);
    return v;
  };
  for (const node of graph.nodes) values.set(node.output, evalNode(node, get));
  return get(graph.output);
}

function evalNode(node: Node, get: (id: number) => Tensor3): Tensor3 {
  switch (node.op) {
    case 'conv2d': {
      let x = get(node.input);
      const t = node.inputTransform;
      if (t.kind === 'upsample_nearest') x = upsampleNearestRef(x, t.factor);
      if (t.kind === 'pixel_unshuffle') x = pixelUnshuffleRef(x, t.factor);
      let y = activationRef(conv2dRef(x, node.weights.weight, node.weights.shape, node.weights.bias), node.activation);
      const r = node.residual;
      if (r) {
        y = scaledAddRef(r.alpha, y, r.beta, get(r.r1));
        if (r.r2 !== undefined) y = scaledAddRef(1, y, r.gamma ?? 1, get(r.r2));
      }
      return y;
    }
    case 'activation':
      return activationRef(get(node.input), node.activation);
    case 'upsample_nearest':
      return upsampleNearestRef(get(node.input), node.factor);
    case 'pixel_unshuffle':
      return pixelUnshuffleRef(get(node.input), node.factor);
    case 'pixel_shuffle':
      return pixelShuffleRef(get(node.input), node.factor);
    case 'concat':
      return concatRef(node.inputs.map(get));
    case 'add':
      return scaledAddRef(node.alpha, get(node.a), node.beta, get(node.b), node.bUpsample);
    case 'batch_norm':
      return batchNormEvalRef(get(node.input), node.params);
  }
}
