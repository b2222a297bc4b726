import type { Activation, Graph, Node } from '../../src/graph/ir.js';
import { activationBackward, activationForward, type ActivationSpec } from './activation-grad.js';
import { concatBackward, concatForward } from './concat-grad.js';
import { conv2dTransformedBackward, conv2dTransformedForward } from './conv2d-transformed-grad.js';
import { batchNormTrainBackward, batchNormTrainForward } from './batch-norm-train.js';
import { nodeParameters, type NodeParameter } from './graph-params.js';
import { lossRef, type LossKind } from './loss.js';
import { pixelShuffleBackward, pixelShuffleForward, pixelUnshuffleBackward, pixelUnshuffleForward } from './pixel-shuffle-grad.js';
import { scaledAddBackward, scaledAddForward } from './scaled-add-grad.js';
import { sameShape, tensor4, type Floats, type Tensor4 } from './tensor4.js';
import { upsampleNearestBackward, upsampleNearestForward } from './upsample-nearest-grad.js';

/**
 * Reverse mode over the graph IR on the CPU, in float64, for a whole batch at once: the
 * reference every GPU training step must match. Each node type has one forward and one backward
 * function below; `nodeParameters` (graph-params.ts) names the node's trainable tensors.
 *
 * "Gradient" is dL/d(parameter) for the loss over the whole batch (mean over every output
 * element, as torch's reduction='mean'), so parameter gradients are summed over the batch.
 */

/** Current values of the parameters being trained, by state-dict key. Others stay as the graph holds them. */
export type ParamValues = ReadonlyMap<string, Floats>;

interface ForwardContext {
  value(id: number): Tensor4;
  param(p: NodeParameter): Floats;
}

interface BackwardContext extends ForwardContext {
  /** Adds g to the gradient of a graph value. */
  addGrad(id: number, g: Tensor4): void;
  /** Adds g to a parameter's gradient (ignored for parameters not being trained). */
  addParamGrad(p: NodeParameter, g: Float64Array): void;
}

type ConvNode = Extract<Node, { op: 'conv2d' }>;

/** The activation with PReLU slopes read from the trained values when they are being trained. */
function activationSpec(act: Activation, params: readonly NodeParameter[], ctx: ForwardContext): ActivationSpec {
  if (act.kind !== 'prelu') return act;
  const p = params.find((q) => q.role === 'slopes');
  return { kind: 'prelu', slopes: p ? ctx.param(p) : act.slopes };
}

// --- conv2d: out = alpha·act(conv(T(x))) + beta·r1 (+ gamma·r2); builders emit alpha 1, no T, act or residual.

function convParts(node: ConvNode, params: readonly NodeParameter[], ctx: ForwardContext) {
  const weight = ctx.param(params.find((p) => p.role === 'weight')!);
  const biasP = params.find((p) => p.role === 'bias');
  return { weight, bias: biasP && ctx.param(biasP), act: activationSpec(node.activation, params, ctx) };
}

function convForward(node: ConvNode, params: readonly NodeParameter[], ctx: ForwardContext): Tensor4 {
  const { weight, bias, act } = convParts(node, params, ctx);
  let y = activationForward(conv2dTransformedForward(ctx.value(node.input), node.inputTransform, weight, node.weights.shape, bias), act);
  const r = node.residual;
  if (r) {
    y = scaledAddForward(r.alpha, y, r.beta, ctx.value(r.r1));
    if (r.r2 !== undefined) y = scaledAddForward(1, y, r.gamma ?? 1, ctx.value(r.r2));
  }
  return y;
}

function convBackward(node: ConvNode, params: readonly NodeParameter[], ctx: BackwardContext, gout: Tensor4): void {
  const { weight, bias, act } = convParts(node, params, ctx);
  const x = ctx.value(node.input);
  let g = gout;
  const r = node.residual;
  if (r) {
    ctx.addGrad(r.r1, tensor4(g.n, g.c, g.h, g.w, g.data.map((v) => r.beta * v)));
    if (r.r2 !== undefined) ctx.addGrad(r.r2, tensor4(g.n, g.c, g.h, g.w, g.data.map((v) => (r.gamma ?? 1) * v)));
    g = tensor4(g.n, g.c, g.h, g.w, g.data.map((v) => r.alpha * v));
  }
  if (act.kind !== 'none') {
    // The activation's backward needs its input, the conv's output: recomputed, not stored.
    const z = conv2dTransformedForward(x, node.inputTransform, weight, node.weights.shape, bias);
    const a = activationBackward(z, act, g);
    const slopes = params.find((p) => p.role === 'slopes');
    if (slopes && a.gslopes) ctx.addParamGrad(slopes, a.gslopes);
    g = a.gx;
  }
  const c = conv2dTransformedBackward(x, node.inputTransform, weight, node.weights.shape, g);
  ctx.addGrad(node.input, c.gx);
  ctx.addParamGrad(params.find((p) => p.role === 'weight')!, c.gweight);
  const biasP = params.find((p) => p.role === 'bias');
  if (biasP && bias) ctx.addParamGrad(biasP, c.gbias);
}

// --- every other op: one forward and one backward each.

function forwardNode(node: Node, params: readonly NodeParameter[], ctx: ForwardContext): Tensor4 {
  switch (node.op) {
    case 'conv2d':
      return convForward(node, params, ctx);
    case 'activation':
      return activationForward(ctx.value(node.input), activationSpec(node.activation, params, ctx));
    case 'upsample_nearest':
      return upsampleNearestForward(ctx.value(node.input), node.factor);
    case 'pixel_unshuffle':
      return pixelUnshuffleForward(ctx.value(node.input), node.factor);
    case 'pixel_shuffle':
      return pixelShuffleForward(ctx.value(node.input), node.factor);
    case 'concat':
      return concatForward(node.inputs.map((id) => ctx.value(id)));
    case 'add':
      return scaledAddForward(node.alpha, ctx.value(node.a), node.beta, ctx.value(node.b), node.bUpsample);
    case 'batch_norm':
      return batchNormForward(node, params, ctx).y;
  }
}

// --- batch norm, in training mode: normalised with the batch's own statistics.

type BatchNormNode = Extract<Node, { op: 'batch_norm' }>;

function batchNormForward(node: BatchNormNode, params: readonly NodeParameter[], ctx: ForwardContext) {
  const gamma = ctx.param(params.find((p) => p.role === 'weight')!);
  const beta = ctx.param(params.find((p) => p.role === 'bias')!);
  return { gamma, ...batchNormTrainForward(ctx.value(node.input), gamma, beta, node.params.eps) };
}

function batchNormBackward(node: BatchNormNode, params: readonly NodeParameter[], ctx: BackwardContext, gout: Tensor4): void {
  // The batch statistics are recomputed from the kept input, not stored.
  const { gamma, stats } = batchNormForward(node, params, ctx);
  const g = batchNormTrainBackward(stats, gamma, gout);
  ctx.addParamGrad(params.find((p) => p.role === 'weight')!, g.ggamma);
  ctx.addParamGrad(params.find((p) => p.role === 'bias')!, g.gbeta);
  ctx.addGrad(node.input, g.gx);
}

function backwardNode(node: Node, params: readonly NodeParameter[], ctx: BackwardContext, gout: Tensor4): void {
  switch (node.op) {
    case 'conv2d':
      return convBackward(node, params, ctx, gout);
    case 'activation': {
      const a = activationBackward(ctx.value(node.input), activationSpec(node.activation, params, ctx), gout);
      const slopes = params.find((p) => p.role === 'slopes');
      if (slopes && a.gslopes) ctx.addParamGrad(slopes, a.gslopes);
      return ctx.addGrad(node.input, a.gx);
    }
    case 'upsample_nearest':
      return ctx.addGrad(node.input, upsampleNearestBackward(gout, node.factor));
    case 'pixel_unshuffle':
      return ctx.addGrad(node.input, pixelUnshuffleBackward(gout, node.factor));
    case 'pixel_shuffle':
      return ctx.addGrad(node.input, pixelShuffleBackward(gout, node.factor));
    case 'concat': {
      const parts = concatBackward(gout, node.inputs.map((id) => ctx.value(id).c));
      return node.inputs.forEach((id, i) => ctx.addGrad(id, parts[i]!));
    }
    case 'add': {
      const { gx, gy } = scaledAddBackward(node.alpha, node.beta, gout, node.bUpsample);
      ctx.addGrad(node.a, gx);
      return ctx.addGrad(node.b, gy);
    }
    case 'batch_norm':
      return batchNormBackward(node, params, ctx, gout);
  }
}

// --- driver

/** Runs the graph forward on a batch in float64, keeping every value for the backward. */
export function forwardGraphRef(graph: Graph, params: ParamValues, input: Tensor4): { output: Tensor4; values: Map<number, Tensor4> } {
  const values = new Map<number, Tensor4>([[graph.input, input]]);
  const ctx = forwardContext(values, params);
  for (const node of graph.nodes) values.set(node.output, forwardNode(node, nodeParameters(node), ctx));
  return { output: ctx.value(graph.output), values };
}

function forwardContext(values: Map<number, Tensor4>, params: ParamValues): ForwardContext {
  return {
    value(id) {
      const v = values.get(id);
      if (!v) throw new Error(`value ${id} read before it was computed`);
      return v;
    },
    param(p) {
      const v = params.get(p.key) ?? p.value;
      if (v.length !== p.value.length) throw new Error(`${p.key}: ${v.length} values given, the graph has ${p.value.length}`);
      return v;
    },
  };
}

export interface TrainStepResult {
  loss: number;
  /** dL/dp for every key of `params`, same layout as the parameter. */
  grads: Map<string, Float64Array>;
  output: Tensor4;
}

/**
 * One training step's forward and backward: loss(graph(lr), hr) over the batch and its gradient
 * w.r.t. every parameter in `params` (the trained ones; the graph's other tensors are constants,
 * e.g. EDSR's frozen MeanShift). Batch norms run in training mode (batch statistics).
 */
export function trainStepRef(graph: Graph, params: ParamValues, lrBatch: Tensor4, hrBatch: Tensor4, loss: LossKind): TrainStepResult {
  const { output, values } = forwardGraphRef(graph, params, lrBatch);
  sameShape(output, hrBatch, 'graph output vs target');
  const l = lossRef(loss, output.data, hrBatch.data);

  const valueGrads = new Map<number, Tensor4>([[graph.output, tensor4(output.n, output.c, output.h, output.w, l.grad)]]);
  const grads = new Map<string, Float64Array>();
  const used = new Set<string>();
  for (const [key, v] of params) grads.set(key, new Float64Array(v.length));
  const ctx: BackwardContext = {
    ...forwardContext(values, params),
    addGrad(id, g) {
      const have = valueGrads.get(id);
      if (!have) return void valueGrads.set(id, g);
      sameShape(have, g, `gradient of value ${id}`);
      have.data.forEach((v, i) => (have.data[i] = v + g.data[i]!));
    },
    addParamGrad(p, g) {
      const acc = grads.get(p.key);
      if (!acc) return; // a constant of this step (not trained)
      used.add(p.key);
      g.forEach((v, i) => (acc[i] += v));
    },
  };
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    const gout = valueGrads.get(node.output);
    if (gout) backwardNode(node, nodeParameters(node), ctx, gout);
  }
  const unused = [...params.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`parameters ${unused.join(', ')} are not read by any node of the graph (misnamed, or not reaching the output)`);
  return { loss: l.value, grads, output };
}
