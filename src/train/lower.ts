import { activation, type PreluSlopes } from '../kernels/activation.js';
import { activationBackward, type BackwardActivation } from '../kernels/activation-backward.js';
import { batchNormBackwardCalls, batchNormForwardCalls } from '../kernels/batch-norm-steps.js';
import type { BatchedRef } from '../kernels/batched.js';
import { channelPartials, reduceChunks, reducePartials } from '../kernels/channel-reduce.js';
import { conv2d, type PackedConv2dWeights } from '../kernels/conv2d.js';
import { convShapeOf, type ConvKernelChoice } from '../kernels/conv2d-variants.js';
import { conv2dWeightGrad, weightGradShape } from '../kernels/conv2d-weight-grad.js';
import { gather } from '../kernels/gather.js';
import { lossPartials, lossValue, type LossKind } from '../kernels/loss.js';
import type { KernelCall } from '../kernels/program.js';
import type { ActivationNode, ConvNode, Place, TrainOp } from './ops.js';
import { overBatch } from './over-batch.js';
import type { ParameterLayout } from './parameters.js';

/** What a dispatch is part of, for the per-step profile. */
export type StepPhase = 'pack' | 'forward' | 'loss' | 'input_grad' | 'weight_grad' | 'optimizer';

export interface LoweredCall {
  readonly call: KernelCall;
  readonly phase: StepPhase;
  /** Multiply-adds × 2 of a conv, input-gradient conv or weight gradient (0 for the rest). */
  readonly flops: number;
}

/** Everything an op needs to become kernel calls, once the buffers exist. */
export interface LowerContext {
  ref(place: Place): BatchedRef;
  readonly layout: ParameterLayout;
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly running: GPUBuffer;
  readonly stats: GPUBuffer;
  readonly scratch: GPUBuffer;
  readonly scalars: GPUBuffer;
  readonly target: BatchedRef;
  readonly loss: LossKind;
  readonly packed: ReadonlyMap<ConvNode, { forward: PackedConv2dWeights; inputGrad?: PackedConv2dWeights }>;
  /** The forward activation kernel's copy of each PReLU's slopes. */
  readonly slopes: ReadonlyMap<ActivationNode, PreluSlopes>;
  readonly subgroupSize: number;
  readonly limits: GPUSupportedLimits;
  /** Which conv kernel runs a conv of a shape (a forward conv, or an input gradient's transposed conv). */
  readonly convKernel: ConvKernelChoice;
}

/** BatchNorm2d's running-statistics momentum and eps (torch's defaults; the graph carries eps). */
const BN_MOMENTUM = 0.1;

const phaseOf = (op: TrainOp): StepPhase => {
  switch (op.op) {
    case 'conv':
    case 'activation':
    case 'add':
    case 'batch_norm':
      return 'forward';
    case 'loss':
      return 'loss';
    case 'weight_grad':
    case 'bias_grad':
    case 'zero_param_grad':
    case 'prelu_slope_grad':
      return 'weight_grad';
    default:
      return 'input_grad';
  }
};

/** The kernel calls of one op, in order. `forward` says whether a gather belongs to the forward. */
export function lowerOp(op: TrainOp, ctx: LowerContext, forward: boolean): LoweredCall[] {
  const phase = op.op === 'gather' ? (forward ? 'forward' : 'input_grad') : phaseOf(op);
  const calls = callsOf(op, ctx);
  const flops = convFlopsOf(op, ctx);
  // An op's calls share its FLOPs; a weight gradient's first call does all of them.
  return calls.map((call, i) => ({ call, phase, flops: op.op === 'weight_grad' ? (i === 0 ? flops : 0) : flops / calls.length }));
}

function convFlopsOf(op: TrainOp, ctx: LowerContext): number {
  if (op.op !== 'conv' && op.op !== 'input_grad' && op.op !== 'weight_grad') return 0;
  const [cout, cin, k] = op.node.weights.shape;
  const out = ctx.ref(op.op === 'conv' ? op.output : op.gy);
  return 2 * cin * cout * k * k * out.batch * out.height * out.width;
}

const scratchAt = (ctx: LowerContext) => ({ buffer: ctx.scratch, offset: 0 });
const flat = (buffer: GPUBuffer, offset: number, count: number): BatchedRef => ({ buffer, offset, batch: 1, batchStride: count, channels: 1, height: 1, width: count });

function callsOf(op: TrainOp, ctx: LowerContext): KernelCall[] {
  const { limits } = ctx;
  switch (op.op) {
    case 'conv': {
      const x = ctx.ref(op.input);
      const y = ctx.ref(op.output);
      const weights = ctx.packed.get(op.node)!.forward;
      const { inputTransform } = op.node;
      const kernel = ctx.convKernel(convShapeOf(op.node.weights.shape, inputTransform ?? { kind: 'none' }));
      return overBatch(x, y, y.channels, limits, (input, output, images) => conv2d({ input, inputTransform, weights, output, images, label: op.node.weights.name }, limits, kernel));
    }
    case 'activation': {
      const x = ctx.ref(op.input);
      const y = ctx.ref(op.output);
      const act = op.node.activation;
      const slopes = ctx.slopes.get(op.node);
      const spec = act.kind === 'prelu' ? ({ kind: 'prelu' } as const) : act;
      return overBatch(x, y, y.channels, limits, (input, output, images) => activation({ input, output, activation: spec, slopes, images }, limits));
    }
    case 'gather':
      return [gather({ op: op.gather, src: ctx.ref(op.src), dst: ctx.ref(op.dst), factor: op.factor, scale: op.scale, accumulate: op.accumulate, label: op.label }, limits)];
    case 'add': {
      const { node } = op;
      const out = ctx.ref(op.output);
      return [
        gather({ op: 'block_sum', src: ctx.ref(op.a), dst: out, factor: 1, scale: node.alpha, label: 'add' }, limits),
        gather({ op: 'upsample', src: ctx.ref(op.b), dst: out, factor: node.bUpsample, scale: node.beta, accumulate: true, label: 'add' }, limits),
      ];
    }
    case 'batch_norm': {
      const p = op.node.params;
      const running = ctx.layout.running.get(p.name)!;
      return batchNormForwardCalls(
        { ...batchNormCommon(op.node, op.stats, ctx.ref(op.input), ctx), y: ctx.ref(op.output), running: { buffer: ctx.running, mean: running.mean, variance: running.variance }, eps: p.eps, momentum: BN_MOMENTUM },
        limits,
      );
    }
    case 'loss': {
      const prediction = ctx.ref(op.output);
      return [
        lossPartials({ kind: ctx.loss, prediction, target: ctx.target, gradient: ctx.ref(op.grad), partials: scratchAt(ctx) }, limits),
        lossValue(prediction, scratchAt(ctx), { buffer: ctx.scalars, offset: 0 }, limits),
      ];
    }
    case 'zero': {
      const t = ctx.ref(op.place);
      return [gather({ op: 'zero', src: t, dst: t, factor: 1, label: 'zero gradient' }, limits)];
    }
    case 'zero_param_grad': {
      const slot = ctx.layout.slots.get(op.key)!;
      const t = flat(ctx.grads, slot.offset, slot.count);
      return [gather({ op: 'zero', src: t, dst: t, factor: 1, label: `${op.key} (exactly zero)` }, limits)];
    }
    default:
      return backwardCalls(op, ctx);
  }
}

function batchNormCommon(node: Extract<TrainOp, { op: 'batch_norm' }>['node'], stats: number, x: BatchedRef, ctx: LowerContext) {
  const p = node.params;
  const gamma = ctx.layout.slots.get(`${p.name}.weight`)!;
  const beta = ctx.layout.slots.get(`${p.name}.bias`)!;
  return { x, stats: { buffer: ctx.stats, channels: x.channels, offset: stats }, weights: { buffer: ctx.weights, gamma: gamma.offset, beta: beta.offset }, scratch: scratchAt(ctx), label: p.name };
}

function backwardCalls(op: TrainOp, ctx: LowerContext): KernelCall[] {
  const { limits } = ctx;
  switch (op.op) {
    case 'weight_grad': {
      const x = ctx.ref(op.x);
      const gy = ctx.ref(op.gy);
      const k = op.node.weights.shape[2];
      const slot = ctx.layout.slots.get(`${op.node.weights.name}.weight`)!;
      const shape = weightGradShape(x, gy.channels, k, op.withBias);
      return [
        conv2dWeightGrad({ x, gy, kernelSize: k, withBias: op.withBias, partials: scratchAt(ctx), subgroupSize: ctx.subgroupSize, label: op.node.weights.name }, limits),
        reducePartials({ partials: scratchAt(ctx), groups: shape.elements, count: shape.chunks, output: { buffer: ctx.grads, offset: slot.offset }, label: op.node.weights.name }, limits),
      ];
    }
    case 'bias_grad': {
      const gy = ctx.ref(op.gy);
      const slot = ctx.layout.slots.get(`${op.node.weights.name}.bias`)!;
      return [
        channelPartials({ mode: 'sum', a: gy, partials: scratchAt(ctx) }, limits),
        reducePartials({ partials: scratchAt(ctx), groups: gy.channels, count: reduceChunks(gy).count, output: { buffer: ctx.grads, offset: slot.offset } }, limits),
      ];
    }
    case 'input_grad': {
      const gy = ctx.ref(op.gy);
      const gx = ctx.ref(op.gx);
      const weights = ctx.packed.get(op.node)!.inputGrad!;
      // The transposed conv: cout → cin channels, no fused read.
      const [cout, cin, k] = op.node.weights.shape;
      const kernel = ctx.convKernel({ cin: cout, cout: cin, k, read: 'none' });
      return overBatch(gy, gx, gx.channels, limits, (input, output, images) => {
        // Accumulating: the gradient already there is the residual, read where it is written.
        const residual = op.accumulate ? { alpha: 1, r1: output, beta: 1 } : undefined;
        return conv2d({ input, weights, output, residual, images, label: `${op.node.weights.name} input gradient` }, limits, kernel);
      });
    }
    case 'activation_grad': {
      const act = op.node.activation;
      const spec = (act.kind === 'prelu' ? { kind: 'prelu' } : act) as BackwardActivation;
      const slot = act.kind === 'prelu' ? ctx.layout.slots.get(act.key)! : undefined;
      return [
        activationBackward(
          { activation: spec, saved: ctx.ref(op.saved), savedIs: op.savedIs, gy: ctx.ref(op.gy), gx: ctx.ref(op.gx), accumulate: op.accumulate, slopes: slot && { buffer: ctx.weights, offset: slot.offset, count: slot.count } },
          limits,
        ),
      ];
    }
    case 'prelu_slope_grad': {
      const gy = ctx.ref(op.gy);
      const act = op.node.activation as Extract<ActivationNode['activation'], { kind: 'prelu' }>;
      const slot = ctx.layout.slots.get(act.key)!;
      const chunks = reduceChunks(gy).count;
      // One slope per channel, or one for all: then every channel's partials go into it.
      const groups = slot.count === 1 ? 1 : gy.channels;
      return [
        channelPartials({ mode: 'prelu_slope', a: gy, x: ctx.ref(op.x), partials: scratchAt(ctx) }, limits),
        reducePartials({ partials: scratchAt(ctx), groups, count: (chunks * gy.channels) / groups, output: { buffer: ctx.grads, offset: slot.offset }, label: act.key }, limits),
      ];
    }
    case 'batch_norm_grad': {
      const p = op.node.params;
      const gamma = ctx.layout.slots.get(`${p.name}.weight`)!;
      const beta = ctx.layout.slots.get(`${p.name}.bias`)!;
      return batchNormBackwardCalls(
        {
          ...batchNormCommon(op.node, op.stats, ctx.ref(op.x), ctx),
          gy: ctx.ref(op.gy),
          gx: op.gx && ctx.ref(op.gx),
          accumulate: op.accumulate,
          grads: { buffer: ctx.grads, gamma: gamma.trainable ? gamma.offset : undefined, beta: beta.trainable ? beta.offset : undefined },
        },
        limits,
      );
    }
    default:
      throw new Error(`${op.op} is not a backward op`);
  }
}

/** The scratch floats an op's reductions need (partials). */
export function scratchOf(op: TrainOp, ref: (p: Place) => Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>): number {
  switch (op.op) {
    case 'weight_grad': {
      const x = ref(op.x);
      return weightGradShape(x, op.gy.channels, op.node.weights.shape[2], op.withBias).partials;
    }
    case 'bias_grad':
    case 'prelu_slope_grad':
    case 'loss': {
      const t = ref(op.op === 'loss' ? op.output : op.gy);
      return t.channels * reduceChunks(t).count;
    }
    case 'batch_norm':
    case 'batch_norm_grad': {
      const t = ref(op.op === 'batch_norm' ? op.input : op.x);
      return t.channels * reduceChunks(t).count;
    }
    default:
      return 0;
  }
}
