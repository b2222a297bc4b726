import { WgsrError } from '../errors.js';
import { createTensorBuffer } from '../gpu/buffers.js';
import { adam, type AdamStepSettings } from '../kernels/adam.js';
import { ema } from '../kernels/ema.js';
import type { BatchedRef } from '../kernels/batched.js';
import { channelPartials, reduceChunks, reducePartials } from '../kernels/channel-reduce.js';
import type { LossKind } from '../kernels/loss.js';
import { prepareCall, releaseCall, type KernelCall, type PipelineCache, type PreparedCall } from '../kernels/program.js';
import { lowerOp, type LoweredCall, type StepPhase } from './lower.js';
import { shapeOf, shapeRequirements, type ShapeRequirements } from './memory-report.js';
import type { Place } from './ops.js';
import type { ParameterLayout } from './parameters.js';
import type { TrainProgram } from './reverse.js';
import type { TrainingState } from './state.js';
import type { ConvKernelChoice } from '../kernels/conv2d-variants.js';

/**
 * Everything one batch shape (N images of h×w) needs: the memory plan and its buffers, and
 * every dispatch of a step prepared once (pipeline, bind group, uniforms), so a step only
 * uploads the batch, rewrites the optimizer's uniforms and encodes. The optimizer's calls are
 * last: the gradient norm, Adam, then the weights' moving average when one is kept.
 */
export interface ShapeRun {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly requirements: ShapeRequirements;
  readonly input: BatchedRef;
  readonly target: BatchedRef;
  readonly calls: readonly { readonly prepared: PreparedCall; readonly phase: StepPhase; readonly flops: number }[];
  /** The optimizer's dispatch (its uniforms change every step). */
  readonly adam: PreparedCall;
  destroy(): void;
}

export async function prepareShape(
  pipelines: PipelineCache,
  program: TrainProgram,
  layout: ParameterLayout,
  state: TrainingState,
  loss: LossKind,
  settings: Omit<AdamStepSettings, 'step'>,
  size: { batch: number; height: number; width: number },
  convKernel: ConvKernelChoice,
): Promise<ShapeRun> {
  const { device } = pipelines;
  const { batch, height, width } = size;
  const limits = device.limits;
  const requirements = shapeRequirements(program, layout, batch, height, width, Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize));
  const owned: GPUBuffer[] = [];
  const make = (bytes: number, label: string) => {
    const b = createTensorBuffer(device, Math.max(16, bytes), label);
    owned.push(b);
    return b;
  };
  const arenas = requirements.plan.arenas.map((elements, i) => make(elements * 4, `training activations ${i}`));
  const scratch = make(requirements.scratchFloats * 4, 'reduction partials');
  const shape = shapeOf(program, batch, height, width);
  const ref = (p: Place): BatchedRef => {
    const address = requirements.plan.addresses[p.storage];
    if (!address) throw new Error(`storage ${program.storages[p.storage]!.label} has no memory`);
    const s = program.storages[p.storage]!;
    const t = shape(p);
    const plane = t.height * t.width;
    return { ...t, buffer: arenas[address.arena]!, offset: address.offset + p.channelOffset * plane, batchStride: s.channels * plane };
  };
  const out = shape(program.output);
  const target: BatchedRef = { ...out, buffer: make(requirements.bytes.batchData, 'target batch'), offset: 0, batchStride: out.channels * out.height * out.width };
  const ctx = { ...state, ref, layout, scratch, target, loss, limits, convKernel };
  const optimizer = optimizerCalls(state, layout, scratch, settings, limits);
  const lowered: LoweredCall[] = [
    ...state.packCalls.map((call) => ({ call, phase: 'pack' as const, flops: 0 })),
    ...program.ops.flatMap((op, i) => lowerOp(op, ctx, i < program.forwardCount)),
    ...optimizer.calls.map((call) => ({ call, phase: 'optimizer' as const, flops: 0 })),
  ];
  let prepared: PreparedCall[] = [];
  try {
    prepared = await Promise.all(lowered.map((l) => prepareCall(pipelines, l.call)));
  } catch (e) {
    owned.forEach((b) => b.destroy());
    throw e;
  }
  return {
    batch,
    height,
    width,
    requirements,
    input: ref(program.input),
    target,
    calls: prepared.map((p, i) => ({ prepared: p, phase: lowered[i]!.phase, flops: lowered[i]!.flops })),
    adam: prepared[lowered.findIndex((l) => l.call === optimizer.adam)]!,
    destroy: () => {
      prepared.forEach(releaseCall);
      owned.forEach((b) => b.destroy());
    },
  };
}

/** Σ g² over every trainable gradient into scalars[1], the Adam step, then the moving average (when kept). */
function optimizerCalls(
  state: TrainingState,
  layout: ParameterLayout,
  scratch: GPUBuffer,
  settings: Omit<AdamStepSettings, 'step'>,
  limits: GPUSupportedLimits,
): { calls: KernelCall[]; adam: KernelCall } {
  const p = layout.trainable;
  if (p < 1) throw new WgsrError('BAD_ARGUMENT', 'nothing to train: every parameter is frozen');
  const grads: BatchedRef = { buffer: state.grads, offset: 0, batch: 1, batchStride: p, channels: 1, height: 1, width: p };
  const chunks = reduceChunks(grads).count;
  const step = adam({ params: state.weights, grads: state.grads, expAvg: state.expAvg, expAvgSq: state.expAvgSq, scalars: state.scalars, count: p, settings: { ...settings, step: 1 } }, limits);
  const calls = [
    channelPartials({ mode: 'sum_squares', a: grads, partials: { buffer: scratch, offset: 0 }, label: 'gradient norm' }, limits),
    reducePartials({ partials: { buffer: scratch, offset: 0 }, groups: 1, count: chunks, output: { buffer: state.scalars, offset: 1 }, label: 'gradient norm' }, limits),
    step,
  ];
  if (state.ema) calls.push(ema({ average: state.ema.buffer, params: state.weights, scalars: state.scalars, count: p, decay: state.ema.decay }, limits));
  return { calls, adam: step };
}
