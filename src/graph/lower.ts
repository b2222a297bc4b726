import { activation } from '../kernels/activation.js';
import { concat } from '../kernels/concat.js';
import { conv2d } from '../kernels/conv2d.js';
import { convShapeOf, type ConvKernelChoice } from '../kernels/conv2d-variants.js';
import type { KernelCall } from '../kernels/program.js';
import { pixelShuffle, pixelUnshuffle, upsampleNearest } from '../kernels/rearrange.js';
import { scaledAdd } from '../kernels/scaled-add.js';
import { channelSlice, type TensorRef } from '../kernels/tensor.js';
import type { ValueId } from './ir.js';
import type { Step } from './plan.js';
import type { PackedWeights } from './weights.js';

/** One planned step as a kernel call, with every value resolved to its place in a buffer. */
export function lowerStep(step: Step, ref: (id: ValueId) => TensorRef, weights: PackedWeights, limits: GPUSupportedLimits, kernels?: ConvKernelChoice): KernelCall {
  if (step.kind === 'copy') {
    const into = ref(step.into);
    const from = ref(step.from);
    return concat({ inputs: [from], output: channelSlice(into, step.channelOffset, from.channels), label: 'concat copy' }, limits);
  }
  const node = step.node;
  switch (node.op) {
    case 'conv2d': {
      const r = node.residual;
      const act = node.activation;
      return conv2d(
        {
          input: ref(node.input),
          inputTransform: node.inputTransform,
          weights: weights.convs.get(node)!,
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
        kernels?.(convShapeOf(node.weights.shape, node.inputTransform)) ?? 'register-tile',
      );
    }
    case 'activation': {
      const act = node.activation;
      return activation(
        { input: ref(node.input), output: ref(node.output), activation: act.kind === 'prelu' ? { kind: 'prelu' } : act, slopes: weights.slopes.get(node) },
        limits,
      );
    }
    case 'upsample_nearest':
      return upsampleNearest({ input: ref(node.input), output: ref(node.output), factor: node.factor }, limits);
    case 'pixel_unshuffle':
      return pixelUnshuffle({ input: ref(node.input), output: ref(node.output), factor: node.factor }, limits);
    case 'pixel_shuffle':
      return pixelShuffle({ input: ref(node.input), output: ref(node.output), factor: node.factor }, limits);
    case 'add':
      return scaledAdd({ x: ref(node.a), y: ref(node.b), a: node.alpha, b: node.beta, yUpsample: node.bUpsample, output: ref(node.output) }, limits);
    case 'concat':
      throw new Error('concat nodes are planned into copies, never lowered directly');
    case 'batch_norm':
      throw new Error('batch norms are folded into their convs before planning (foldBatchNorms)');
  }
}
