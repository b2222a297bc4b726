import { alignBytes } from '../gpu/buffers.js';
import type { BatchedRef } from '../kernels/batched.js';
import { reduceChunks } from '../kernels/channel-reduce.js';
import { scratchOf } from './lower.js';
import { planTrainingMemory, storageShape, type TrainingMemoryPlan } from './memory.js';
import type { ConvNode, Place } from './ops.js';
import { convPackMap, packMapKey, type PackKind } from './pack-map.js';
import { packPolicy } from './pack-policy.js';
import type { ParameterLayout } from './parameters.js';
import type { TrainProgram } from './reverse.js';

/** The GPU bytes of a training step, by kind (what `Trainer.memory` reports). */
export interface StepMemory {
  /** Forward values kept for the backward, gradients and temporaries, as planned. */
  activations: number;
  /** Partial sums of the deterministic reductions. */
  scratch: number;
  /** The HR target batch. */
  batchData: number;
  /** Weights (trainable and frozen) and gradients. */
  parameters: number;
  /** Adam's two moments, and the weights' moving average when one is kept. */
  optimizer: number;
  /** The conv kernels' packed copies of the weights (forward, input gradient) and their maps. */
  packedWeights: number;
  /** Running and batch statistics, PReLU slopes, scalars. */
  other: number;
  total: number;
  /** The most activation bytes ever live at once (no plan can use less). */
  minimumActivations: number;
}

export type StateBytes = Pick<StepMemory, 'parameters' | 'optimizer' | 'packedWeights' | 'other'>;

/** Each conv's packed copies (forward, and input gradient where one is taken), with their map specs. */
export function packSpecs(program: TrainProgram, subgroupSize: number): { node: ConvNode; kind: PackKind; spec: Parameters<typeof convPackMap>[0] }[] {
  const policy = packPolicy(program.graph);
  const out: { node: ConvNode; kind: PackKind; spec: Parameters<typeof convPackMap>[0] }[] = [];
  const add = (node: ConvNode, kind: PackKind) => {
    const [cout, cin] = node.weights.shape;
    const bias = kind === 'forward' && node.weights.bias !== undefined;
    const pad = kind === 'forward' ? policy.pad(node, cin, cout) : policy.pad(node, cout, cin);
    out.push({ node, kind, spec: { shape: node.weights.shape, bias, kind, subgroupSize, padToWidestTile: pad } });
  };
  for (const op of program.ops) if (op.op === 'conv') add(op.node, 'forward');
  for (const op of program.ops) if (op.op === 'input_grad') add(op.node, 'input_grad');
  return out;
}

/** What the state that lasts across steps takes, without allocating it (maps are made per distinct shape). */
export function stateBytes(program: TrainProgram, layout: ParameterLayout, subgroupSize: number, ema = false): StateBytes {
  const f32 = (n: number) => alignBytes(Math.max(1, n) * 4);
  const lengths = new Map<string, number>();
  let packedWeights = 0;
  for (const { spec } of packSpecs(program, subgroupSize)) {
    const key = packMapKey(spec);
    let length = lengths.get(key);
    if (length === undefined) {
      length = convPackMap(spec).map.length;
      lengths.set(key, length);
      packedWeights += f32(length);
    }
    packedWeights += f32(length);
  }
  let slopes = 0;
  for (const op of program.ops) if (op.op === 'activation' && op.node.activation.kind === 'prelu') slopes += f32(op.node.activation.slopes.length);
  return {
    parameters: f32(layout.total) + f32(layout.trainable),
    optimizer: (ema ? 3 : 2) * f32(layout.trainable),
    packedWeights,
    other: f32(layout.runningTotal) + f32(program.statsCount) + f32(4) + slopes,
  };
}

/** Everything a step of N images of h×w needs. */
export function stepMemory(program: TrainProgram, layout: ParameterLayout, state: StateBytes, maxBindingBytes: number, batch: number, height: number, width: number): StepMemory {
  const r = shapeRequirements(program, layout, batch, height, width, maxBindingBytes);
  const parts = { ...r.bytes, ...state };
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0), minimumActivations: r.plan.minimum * 4 };
}

export interface ShapeRequirements {
  readonly plan: TrainingMemoryPlan;
  readonly scratchFloats: number;
  readonly bytes: { activations: number; scratch: number; batchData: number };
}

type ShapeOf = (p: Place) => Pick<BatchedRef, 'batch' | 'channels' | 'height' | 'width'>;

export const shapeOf = (program: TrainProgram, batch: number, height: number, width: number): ShapeOf => (p) => ({ batch, channels: p.channels, ...storageShape(program.storages[p.storage]!, height, width) });

/** The memory a step of this shape needs, without allocating any. */
export function shapeRequirements(program: TrainProgram, layout: ParameterLayout, batch: number, height: number, width: number, maxBindingBytes: number): ShapeRequirements {
  const plan = planTrainingMemory(program, batch, height, width, maxBindingBytes);
  const shape = shapeOf(program, batch, height, width);
  const norm = reduceChunks({ batch: 1, height: 1, width: layout.trainable }).count;
  const scratchFloats = Math.max(norm, ...program.ops.map((op) => scratchOf(op, shape)));
  const out = shape(program.output);
  return {
    plan,
    scratchFloats,
    bytes: { activations: plan.arenas.reduce((s, a) => s + a * 4, 0), scratch: scratchFloats * 4, batchData: out.batch * out.channels * out.height * out.width * 4 },
  };
}

