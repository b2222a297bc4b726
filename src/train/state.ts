import { createTensorBuffer } from '../gpu/buffers.js';
import { uploadPreluSlopes, type PreluSlopes } from '../kernels/activation.js';
import type { PackedConv2dWeights } from '../kernels/conv2d.js';
import { packGather } from '../kernels/pack-gather.js';
import type { KernelCall } from '../kernels/program.js';
import type { ActivationNode, ConvNode } from './ops.js';
import { packSpecs, stateBytes, type StateBytes } from './memory-report.js';
import { convPackMap, packMapKey } from './pack-map.js';
import type { ParameterLayout } from './parameters.js';
import type { TrainProgram } from './reverse.js';

/**
 * A trainer's GPU state that lives across steps and shapes: the weights in PyTorch's layout
 * (parameters.ts), their gradients and Adam's moments, BatchNorm's running statistics and the
 * batch statistics its backward keeps, the loss and gradient-norm scalars, and the conv
 * kernel's packed copies of the weights (forward and transposed-flipped for the input
 * gradient), refreshed on the GPU at the start of every step from maps made once (pack-map.ts;
 * convs of one shape share a map). The forward PReLU kernel reads its slopes from a buffer of
 * their own, copied from the weights every step.
 */
export interface TrainingState {
  readonly weights: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly expAvg: GPUBuffer;
  readonly expAvgSq: GPUBuffer;
  /** The trainable weights' exponential moving average and its decay (kernels/ema.ts), when one is kept. */
  readonly ema?: { readonly buffer: GPUBuffer; readonly decay: number };
  readonly running: GPUBuffer;
  readonly stats: GPUBuffer;
  /** [loss, Σ g²] of the last step. */
  readonly scalars: GPUBuffer;
  readonly packed: ReadonlyMap<ConvNode, { forward: PackedConv2dWeights; inputGrad?: PackedConv2dWeights }>;
  /** The pack-gather calls that refresh every packed copy. */
  readonly packCalls: readonly KernelCall[];
  readonly slopes: ReadonlyMap<ActivationNode, PreluSlopes>;
  /** Copies of the slopes from the weights (bytes), queued before each step's pass. */
  readonly slopeCopies: readonly { from: number; to: GPUBuffer; bytes: number }[];
  /** The subgroup size the packed weights are laid out for (the conv kernels share loads over it). */
  readonly subgroupSize: number;
  /** What it takes (memory-report.ts counts it the same way without allocating). */
  readonly bytes: StateBytes;
  destroy(): void;
}

export interface InitialValues {
  readonly weights: Float32Array;
  readonly running: Float32Array;
  readonly expAvg?: Float32Array;
  readonly expAvgSq?: Float32Array;
  /** The moving average to go on from (trainable values); absent: it starts at the weights. */
  readonly ema?: Float32Array;
}

/** The flat weights and running statistics the graph was built with. */
export function initialValues(layout: ParameterLayout): InitialValues {
  const weights = new Float32Array(layout.total);
  for (const s of layout.slots.values()) weights.set(s.initial, s.offset);
  const running = new Float32Array(layout.runningTotal);
  for (const r of layout.running.values()) {
    running.set(r.initialMean, r.mean);
    running.set(r.initialVariance, r.variance);
  }
  return { weights, running };
}

export function createTrainingState(device: GPUDevice, program: TrainProgram, layout: ParameterLayout, initial: InitialValues, subgroupSize: number, emaDecay?: number): TrainingState {
  const owned: GPUBuffer[] = [];
  const buffer = (floats: number, label: string, data?: Float32Array) => {
    const b = createTensorBuffer(device, Math.max(1, floats) * 4, label);
    // Some implementations refuse an empty write (Deno's panics): a network without BatchNorm has no running statistics.
    if (data && data.byteLength > 0) device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    owned.push(b);
    return b;
  };
  const p = layout.trainable;
  const weights = buffer(layout.total, 'weights', initial.weights);
  const grads = buffer(p, 'gradients');
  const expAvg = buffer(p, 'exp_avg', initial.expAvg ?? new Float32Array(p));
  const expAvgSq = buffer(p, 'exp_avg_sq', initial.expAvgSq ?? new Float32Array(p));
  // The trainable weights come first in the flat layout (parameters.ts): the average covers them.
  const ema = emaDecay === undefined ? undefined : { buffer: buffer(p, 'weights moving average', initial.ema ?? initial.weights.subarray(0, p)), decay: emaDecay };
  const running = buffer(layout.runningTotal, 'running statistics', initial.running);
  const stats = buffer(program.statsCount, 'batch statistics');
  const scalars = buffer(4, 'loss and gradient norm');
  const packing = packedWeights(device, program, layout, weights, subgroupSize, buffer);
  const slopes = new Map<ActivationNode, PreluSlopes>();
  const slopeCopies: { from: number; to: GPUBuffer; bytes: number }[] = [];
  for (const op of program.ops) {
    if (op.op !== 'activation' || op.node.activation.kind !== 'prelu') continue;
    const slot = layout.slots.get(op.node.activation.key)!;
    const s = uploadPreluSlopes(device, slot.initial, slot.key);
    owned.push(s.buffer);
    slopes.set(op.node, s);
    slopeCopies.push({ from: slot.offset * 4, to: s.buffer, bytes: slot.count * 4 });
  }
  return {
    weights,
    grads,
    expAvg,
    expAvgSq,
    ema,
    running,
    stats,
    scalars,
    packed: packing.packed,
    packCalls: packing.calls,
    slopes,
    slopeCopies,
    subgroupSize,
    bytes: stateBytes(program, layout, subgroupSize, ema !== undefined),
    destroy: () => owned.forEach((b) => b.destroy()),
  };
}

function packedWeights(device: GPUDevice, program: TrainProgram, layout: ParameterLayout, weights: GPUBuffer, subgroupSize: number, buffer: (floats: number, label: string) => GPUBuffer) {
  const maps = new Map<string, { buffer: GPUBuffer; count: number; layout: ReturnType<typeof convPackMap>['layout'] }>();
  const packed = new Map<ConvNode, { forward: PackedConv2dWeights; inputGrad?: PackedConv2dWeights }>();
  const calls: KernelCall[] = [];
  for (const { node, kind, spec } of packSpecs(program, subgroupSize)) {
    const key = packMapKey(spec);
    let map = maps.get(key);
    if (!map) {
      const made = convPackMap(spec);
      const b = buffer(made.map.length, `pack map ${key}`);
      device.queue.writeBuffer(b, 0, made.map);
      map = { buffer: b, count: made.map.length, layout: made.layout };
      maps.set(key, map);
    }
    const target = buffer(map.count, `${node.weights.name} ${kind} packed`);
    const w = layout.slots.get(`${node.weights.name}.weight`)!;
    const b = spec.bias ? layout.slots.get(`${node.weights.name}.bias`)! : undefined;
    calls.push(packGather({ map: map.buffer, count: map.count, src: weights, srcOffset: w.offset, weightCount: w.count, biasOffset: b?.offset, packed: target, label: `${node.weights.name} ${kind}` }, device.limits));
    const made: PackedConv2dWeights = { buffer: target, ...map.layout };
    if (kind === 'forward') packed.set(node, { forward: made });
    else packed.get(node)!.inputGrad = made;
  }
  return { packed, calls };
}
