import { conv2d, packConv2dWeights, type PackedConv2dWeights } from '../kernels/conv2d.js';
import type { KernelCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';
import type { Graph, Node, ValueId } from './ir.js';
import type { Step } from './plan.js';

type ConvNode = Extract<Node, { op: 'conv2d' }>;
export type PackedWeights = Map<ConvNode, PackedConv2dWeights>;

/** Uploads every conv's weights once, in the kernel's layout, with its PReLU slopes when fused. */
export function packGraphWeights(device: GPUDevice, graph: Graph): PackedWeights {
  const packed: PackedWeights = new Map();
  for (const node of graph.nodes) {
    if (node.op !== 'conv2d') continue;
    const { weights, activation } = node;
    packed.set(
      node,
      packConv2dWeights(device, {
        weight: weights.weight,
        shape: weights.shape,
        bias: weights.bias,
        preluSlopes: activation.kind === 'prelu' ? activation.slopes : undefined,
        label: weights.name,
      }),
    );
  }
  return packed;
}

/** One planned step as a kernel call, with every value resolved to its place in a buffer. */
export function lowerStep(
  step: Step,
  ref: (id: ValueId) => TensorRef,
  weights: PackedWeights,
  _graph: Graph,
  limits: GPUSupportedLimits,
): KernelCall {
  if (step.kind === 'copy') throw new Error('copy steps are not lowered yet');
  const node = step.node;
  switch (node.op) {
    case 'conv2d': {
      const r = node.residual;
      const act = node.activation;
      return conv2d(
        {
          input: ref(node.input),
          inputTransform: node.inputTransform,
          weights: weights.get(node)!,
          output: ref(node.output),
          activation: act.kind === 'prelu' ? { kind: 'prelu' } : act,
          residual: r && {
            alpha: r.alpha,
            r1: ref(r.r1),
            beta: r.beta,
            r2: r.r2 === undefined ? undefined : ref(r.r2),
            gamma: r.gamma,
          },
          label: node.weights.name,
        },
        limits,
      );
    }
    default:
      throw new Error(`${node.op} is not lowered yet`);
  }
}
