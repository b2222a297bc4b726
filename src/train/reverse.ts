import { WgsrError } from '../errors.js';
import type { Graph, Node, ValueId } from '../graph/ir.js';
import { nodeInputs } from '../graph/ir.js';
import { GradientWrites } from './gradient-writes.js';
import type { BatchNormNode, ConvNode, Place, StorageSpec, TrainOp } from './ops.js';
import { nodeParameters, type ParameterLayout } from './parameters.js';
import { placeValues, type ValuePlacement } from './placement.js';

/**
 * Reverse mode over the graph IR: the forward ops in graph order, the loss, then every node's
 * backward in reverse order, as TrainOps on logical storages (ops.ts). One architecture
 * description serves inference and training: this reads the graph the model module built.
 *
 * Per node, the backward is:
 * - conv: the weight (and bias) gradient from its kept input and the output gradient; the
 *   input gradient as a conv of the output gradient with transposed, flipped weights. A conv
 *   reading its input through a fused upsampling or pixel-unshuffle materialises the
 *   transformed input for the weight gradient, and takes its input gradient back through the
 *   transform's transpose (block sum, pixel shuffle). A conv bias that only a training-mode
 *   batch norm reads has a gradient of exactly zero (the batch mean takes any constant out), and
 *   gets exactly zero: float noise there would be amplified by Adam's normalisation into
 *   updates of up to lr where PyTorch makes none.
 * - activation: from its output where that determines the derivative (ReLU, LeakyReLU with a
 *   slope ≥ 0, tanh), so the conv output before it is not kept; PReLU needs its input, and its
 *   slope gradient is a reduction.
 * - add, upsampling, pixel (un)shuffle: gathers of the output gradient (gather.ts).
 * - concat: nothing; its inputs' gradients are slices of its gradient (placement.ts).
 * - batch norm: the training-mode backward, from the kept input and the batch statistics.
 * Only what reaches a trained parameter gets a gradient: the network input never does.
 */
export interface TrainProgram {
  readonly graph: Graph;
  readonly storages: readonly StorageSpec[];
  readonly ops: readonly TrainOp[];
  /** Ops [0, forwardCount) are the forward, then the loss, then the backward. */
  readonly forwardCount: number;
  readonly input: Place;
  readonly output: Place;
  /** Floats of the batch-norm statistics buffer. */
  readonly statsCount: number;
}

type Contribute = (v: ValueId) => { place: Place; accumulate: boolean };

export function buildProgram(graph: Graph, layout: ParameterLayout): TrainProgram {
  const placement = placeValues(graph);
  const place = (v: ValueId) => placement.values.get(v)!;
  const { ops, statsCount, statsOf } = forwardOps(graph, placement);
  const forwardCount = ops.length;
  const needs = needsGradient(graph, layout);
  if (!needs.get(graph.output)) throw new WgsrError('BAD_ARGUMENT', 'nothing to train: every parameter of the network is frozen');

  const writes = new GradientWrites(placement.storages);
  const gradPlace = (v: ValueId): Place => ({ ...place(v), storage: placement.gradOf(place(v).storage) });
  const contribute: Contribute = (v) => {
    const p = gradPlace(v);
    const c = writes.contribute(p);
    for (const z of c.zero) ops.push({ op: 'zero', place: z });
    return { place: p, accumulate: c.accumulate };
  };
  ops.push({ op: 'loss', output: place(graph.output), grad: contribute(graph.output).place });

  const temp = (channels: number, like: ValueId, label: string): Place => {
    const v = graph.values[like]!;
    placement.storages.push({ kind: 'temp', channels, num: v.num, den: v.den, label });
    return { storage: placement.storages.length - 1, channelOffset: 0, channels };
  };
  const readers = readerCounts(graph);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!needs.get(node.output) || !writes.complete(gradPlace(node.output))) continue;
    const gy = gradPlace(node.output);
    const ctx: BackwardContext = { ops, layout, needs, place, gradPlace, contribute, temp, placement, statsOf };
    if (node.op === 'conv2d') convBackward(node, gy, ctx, biasOnlyNormalized(graph, node, readers));
    else backwardOf(node, gy, ctx);
  }
  return { graph, storages: placement.storages, ops, forwardCount, input: place(graph.input), output: place(graph.output), statsCount };
}

function forwardOps(graph: Graph, placement: ValuePlacement) {
  const ops: TrainOp[] = [];
  const place = (v: ValueId) => placement.values.get(v)!;
  const statsOf = new Map<BatchNormNode, number>();
  let statsCount = 0;
  for (const node of graph.nodes) {
    const move = (gather: 'upsample' | 'shuffle' | 'unshuffle', input: ValueId, factor: number) =>
      ops.push({ op: 'gather', gather, factor, scale: 1, src: place(input), dst: place(node.output), accumulate: false, label: node.op });
    switch (node.op) {
      case 'conv2d':
        ops.push({ op: 'conv', node, input: place(node.input), output: place(node.output) });
        break;
      case 'activation':
        if (node.activation.kind === 'none') ops.push({ op: 'gather', gather: 'block_sum', factor: 1, scale: 1, src: place(node.input), dst: place(node.output), accumulate: false, label: 'identity' });
        else ops.push({ op: 'activation', node, input: place(node.input), output: place(node.output) });
        break;
      case 'upsample_nearest':
        move('upsample', node.input, node.factor);
        break;
      case 'pixel_shuffle':
        move('shuffle', node.input, node.factor);
        break;
      case 'pixel_unshuffle':
        move('unshuffle', node.input, node.factor);
        break;
      case 'concat':
        for (const c of placement.copies.get(node) ?? []) ops.push({ op: 'gather', gather: 'block_sum', factor: 1, scale: 1, src: place(c.from), dst: c.into, accumulate: false, label: 'concat copy' });
        break;
      case 'add':
        ops.push({ op: 'add', node, a: place(node.a), b: place(node.b), output: place(node.output) });
        break;
      case 'batch_norm':
        statsOf.set(node, statsCount);
        statsCount += 5 * node.params.weight.length;
        ops.push({ op: 'batch_norm', node, input: place(node.input), output: place(node.output), stats: statsOf.get(node)! });
        break;
    }
  }
  return { ops, statsCount, statsOf };
}

/** Values that depend on a trained parameter, so their gradient is wanted. */
function needsGradient(graph: Graph, layout: ParameterLayout): Map<ValueId, boolean> {
  const needs = new Map<ValueId, boolean>([[graph.input, false]]);
  for (const node of graph.nodes) {
    const own = nodeParameters(node).some((p) => layout.slots.get(p.key)?.trainable);
    needs.set(node.output, own || nodeInputs(node).some((v) => needs.get(v)));
  }
  return needs;
}

function readerCounts(graph: Graph): Map<ValueId, Node[]> {
  const readers = new Map<ValueId, Node[]>();
  for (const n of graph.nodes) for (const v of nodeInputs(n)) readers.set(v, [...(readers.get(v) ?? []), n]);
  return readers;
}

/** The conv's output goes only into a batch norm (which then sees it in training mode). */
function biasOnlyNormalized(graph: Graph, conv: ConvNode, readers: Map<ValueId, Node[]>): boolean {
  const r = readers.get(conv.output) ?? [];
  return conv.output !== graph.output && r.length === 1 && r[0]!.op === 'batch_norm';
}

interface BackwardContext {
  readonly ops: TrainOp[];
  readonly layout: ParameterLayout;
  readonly needs: ReadonlyMap<ValueId, boolean>;
  readonly place: (v: ValueId) => Place;
  readonly gradPlace: (v: ValueId) => Place;
  readonly contribute: Contribute;
  readonly temp: (channels: number, like: ValueId, label: string) => Place;
  readonly placement: ValuePlacement;
  readonly statsOf: ReadonlyMap<BatchNormNode, number>;
}

function convBackward(node: ConvNode, gy: Place, ctx: BackwardContext, biasIsZero: boolean): void {
  const { ops, layout } = ctx;
  const name = node.weights.name;
  const weight = layout.slots.get(`${name}.weight`)!;
  const bias = node.weights.bias ? layout.slots.get(`${name}.bias`) : undefined;
  const trainBias = Boolean(bias?.trainable) && !biasIsZero;
  const transform = node.inputTransform;
  const cin = node.weights.shape[1];
  if (weight.trainable) {
    let x = ctx.place(node.input);
    if (transform.kind !== 'none') {
      const t = ctx.temp(cin, node.output, `${name} input`);
      ops.push({ op: 'gather', gather: transform.kind === 'upsample_nearest' ? 'upsample' : 'unshuffle', factor: transform.factor, scale: 1, src: x, dst: t, accumulate: false, label: `${name} input` });
      x = t;
    }
    const together = trainBias && bias!.offset === weight.offset + weight.count;
    ops.push({ op: 'weight_grad', node, x, gy, withBias: together });
    if (trainBias && !together) ops.push({ op: 'bias_grad', node, gy });
  } else if (trainBias) {
    ops.push({ op: 'bias_grad', node, gy });
  }
  if (biasIsZero && bias?.trainable) ops.push({ op: 'zero_param_grad', key: bias.key });
  if (!ctx.needs.get(node.input)) return;
  if (transform.kind === 'none') {
    const c = ctx.contribute(node.input);
    ops.push({ op: 'input_grad', node, gy, gx: c.place, accumulate: c.accumulate });
    return;
  }
  const t = ctx.temp(cin, node.output, `${name} input gradient`);
  ops.push({ op: 'input_grad', node, gy, gx: t, accumulate: false });
  const c = ctx.contribute(node.input);
  const back = transform.kind === 'upsample_nearest' ? 'block_sum' : 'shuffle';
  ops.push({ op: 'gather', gather: back, factor: transform.factor, scale: 1, src: t, dst: c.place, accumulate: c.accumulate, label: `${name} transform backward` });
}

/** Every node but a conv. */
function backwardOf(node: Node, gy: Place, ctx: BackwardContext): void {
  const { ops, needs } = ctx;
  const gather = (v: ValueId, op: 'block_sum' | 'shuffle' | 'unshuffle', factor: number, scale: number, label: string, src = gy) => {
    if (!needs.get(v)) return;
    const c = ctx.contribute(v);
    ops.push({ op: 'gather', gather: op, factor, scale, src, dst: c.place, accumulate: c.accumulate, label });
  };
  switch (node.op) {
    case 'activation': {
      const act = node.activation;
      if (act.kind === 'prelu' && ctx.layout.slots.get(act.key)?.trainable) ops.push({ op: 'prelu_slope_grad', node, x: ctx.place(node.input), gy });
      if (act.kind === 'none') return gather(node.input, 'block_sum', 1, 1, 'identity backward');
      if (!needs.get(node.input)) return;
      const fromOutput = act.kind === 'relu' || act.kind === 'tanh' || (act.kind === 'leaky_relu' && act.slope >= 0);
      const c = ctx.contribute(node.input);
      const saved = fromOutput ? ctx.place(node.output) : ctx.place(node.input);
      ops.push({ op: 'activation_grad', node, saved, savedIs: fromOutput ? 'output' : 'input', gy, gx: c.place, accumulate: c.accumulate });
      return;
    }
    case 'upsample_nearest':
      return gather(node.input, 'block_sum', node.factor, 1, 'upsample backward');
    case 'pixel_shuffle':
      return gather(node.input, 'unshuffle', node.factor, 1, 'pixel_shuffle backward');
    case 'pixel_unshuffle':
      return gather(node.input, 'shuffle', node.factor, 1, 'pixel_unshuffle backward');
    case 'add':
      gather(node.a, 'block_sum', 1, node.alpha, 'add backward');
      return gather(node.b, 'block_sum', node.bUpsample, node.beta, 'add backward');
    case 'concat':
      // Placed inputs share the output's gradient; copied ones get their slice back.
      for (const c of ctx.placement.copies.get(node) ?? []) {
        gather(c.from, 'block_sum', 1, 1, 'concat copy backward', { ...c.into, storage: ctx.placement.gradOf(c.into.storage) });
      }
      return;
    case 'batch_norm': {
      const c = needs.get(node.input) ? ctx.contribute(node.input) : undefined;
      ops.push({ op: 'batch_norm_grad', node, x: ctx.place(node.input), gy, gx: c?.place, accumulate: c?.accumulate ?? false, stats: ctx.statsOf.get(node)! });
      return;
    }
    case 'conv2d':
      throw new Error('convs have their own backward');
  }
}
