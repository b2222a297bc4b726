/**
 * Writes a wgsr graph as an ONNX model (opset 13, IR version 7), so the same network and
 * weights run on onnxruntime or any other ONNX engine. The input is `input` [1, C, height, width]
 * with symbolic height and width; the output is `output`. Weights become initializers.
 *
 * Every IR op maps onto standard ONNX ops:
 *   conv2d            Conv (pads k/2, bias), preceded by its input transform and followed by its
 *                     activation and residual when the graph is a fused one
 *   activation        Relu / LeakyRelu / PRelu (slopes [C,1,1]) / Tanh
 *   upsample_nearest  Resize (nearest, asymmetric, floor = PyTorch's F.interpolate nearest)
 *   pixel_shuffle     DepthToSpace mode CRD (= torch.pixel_shuffle)
 *   pixel_unshuffle   SpaceToDepth, then Gather over channels: SpaceToDepth puts channel c of
 *                     block offset (i, j) at (i·f + j)·C + c, PyTorch at c·f² + i·f + j
 *   concat            Concat axis 1
 *   batch_norm        BatchNormalization (eval mode); exportOnnx folds them into their convs first
 *   add               Mul by a scalar where a scale is not 1, Resize for an upsampled b, Add
 */
import type { Activation, Graph, InputTransform, Node, Residual, ValueId } from '../graph/ir.js';
import { foldBatchNorms } from '../graph/fold-batch-norm.js';
import type { ModelOptions } from '../models/architecture.js';
import type { ModelBytes } from '../weights/types.js';
import { loadModel } from '../models/load.js';
import type { ModelInfo } from '../models/registry.js';
import { ProtoWriter } from './protobuf.js';

export interface OnnxExportOptions {
  /** The graph's name inside the file. */
  name?: string;
  /** Free text stored as the model's doc_string (what the input range is, how to read the output). */
  docString?: string;
  /** Key/value pairs stored as metadata_props. */
  metadata?: Record<string, string>;
}

const OPSET = 13;
const IR_VERSION = 7; // the IR version that goes with opset 13

// TensorProto.DataType
const FLOAT = 1;
const INT64 = 7;
// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

type Attribute = { name: string } & ({ f: number } | { i: number } | { s: string } | { ints: readonly number[] });

/** Collects nodes and initializers while the graph is walked. */
class OnnxGraph {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private temp = 0;
  private readonly initializerNames = new Set<string>();

  constructor(private readonly graph: Graph) {}

  name(id: ValueId): string {
    if (id === this.graph.input) return 'input';
    if (id === this.graph.output) return 'output';
    return `v${id}`;
  }

  channels(id: ValueId): number {
    return this.graph.values[id]!.channels;
  }

  /** A fresh name for an intermediate that has no IR value (a scaled operand, a pre-conv resize). */
  fresh(hint: string): string {
    return `${hint}_${this.temp++}`;
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Attribute[] = []): void {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, `${opType}_${this.nodes.length}`);
    n.string(4, opType);
    for (const a of attributes) n.message(5, attribute(a));
    this.nodes.push(n);
  }

  floatInit(name: string, dims: readonly number[], data: Float32Array): string {
    name = this.unique(name);
    this.initializers.push(tensor(name, dims, FLOAT, littleEndianFloats(data)));
    return name;
  }

  int64Init(name: string, dims: readonly number[], data: readonly number[]): string {
    name = this.unique(name);
    const bytes = new Uint8Array(8 * data.length);
    const view = new DataView(bytes.buffer);
    data.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push(tensor(name, dims, INT64, bytes));
    return name;
  }

  /** Initializer names must be unique; a state-dict name normally is, but a graph may reuse a tensor. */
  private unique(name: string): string {
    const n = this.initializerNames.has(name) ? this.fresh(name) : name;
    this.initializerNames.add(n);
    return n;
  }
}

/**
 * Loads `.pth` / `.safetensors` bytes (or ncnn's `{ param, bin }`), builds the unfused graph
 * and writes it as ONNX. The metadata records the architecture, the scale and the input range
 * (EDSR wants 0..255).
 */
export function exportOnnx(bytes: ModelBytes, options: { source?: string; modelOptions?: ModelOptions } = {}): { onnx: Uint8Array; info: ModelInfo } {
  const { info, model } = loadModel(bytes, options);
  const onnx = graphToOnnx(foldBatchNorms(model.graph), {
    name: `${info.arch}_x${info.scale}`,
    docString:
      `${info.arch} x${info.scale} exported by wgsr. Input: RGB [1, ${info.inChannels}, H, W] in 0..${model.inputRange}. ` +
      (model.outputNote ? `Output: ${model.outputNote}.` : `Output: [1, ${info.outChannels}, ${info.scale}H, ${info.scale}W] in 0..${model.inputRange} before clamping.`),
    metadata: { arch: info.arch, scale: String(info.scale), input_range: String(model.inputRange) },
  });
  return { onnx, info };
}

/** Serialises `graph` as an ONNX ModelProto. */
export function graphToOnnx(graph: Graph, options: OnnxExportOptions = {}): Uint8Array {
  const g = new OnnxGraph(graph);
  for (const node of graph.nodes) emitNode(g, node);

  const body = new ProtoWriter();
  for (const n of g.nodes) body.message(1, n);
  body.string(2, options.name ?? 'wgsr');
  for (const t of g.initializers) body.message(5, t);
  const inValue = graph.values[graph.input]!;
  const outValue = graph.values[graph.output]!;
  body.message(11, valueInfo('input', [1, inValue.channels, 'height', 'width']));
  body.message(12, valueInfo('output', [1, outValue.channels, 'out_height', 'out_width']));

  const model = new ProtoWriter();
  model.varint(1, IR_VERSION);
  model.string(2, 'wgsr');
  if (options.docString) model.string(6, options.docString);
  model.message(7, body);
  model.message(8, new ProtoWriter().string(1, '').varint(2, OPSET));
  for (const [key, value] of Object.entries(options.metadata ?? {})) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}

function emitNode(g: OnnxGraph, node: Node): void {
  switch (node.op) {
    case 'conv2d': {
      const input = emitInputTransform(g, g.name(node.input), node.inputTransform, g.channels(node.input));
      const hasEpilogue = node.activation.kind !== 'none' || node.residual !== undefined;
      const convOut = hasEpilogue ? g.fresh(`conv${node.output}`) : g.name(node.output);
      const [cout, , k] = node.weights.shape;
      const w = g.floatInit(`${node.weights.name}.weight`, node.weights.shape, node.weights.weight);
      const inputs = [input, w];
      if (node.weights.bias) inputs.push(g.floatInit(`${node.weights.name}.bias`, [cout], node.weights.bias));
      const pad = (k - 1) / 2;
      g.node('Conv', inputs, [convOut], [
        { name: 'kernel_shape', ints: [k, k] },
        { name: 'pads', ints: [pad, pad, pad, pad] },
      ]);
      if (!hasEpilogue) return;
      let activated = convOut;
      if (node.activation.kind !== 'none') {
        activated = node.residual ? g.fresh(`act${node.output}`) : g.name(node.output);
        emitActivation(g, convOut, activated, node.activation);
      }
      if (node.residual) emitResidual(g, activated, node.residual, g.name(node.output));
      return;
    }
    case 'activation':
      emitActivation(g, g.name(node.input), g.name(node.output), node.activation);
      return;
    case 'upsample_nearest':
      emitResize(g, g.name(node.input), g.name(node.output), node.factor);
      return;
    case 'pixel_shuffle':
      g.node('DepthToSpace', [g.name(node.input)], [g.name(node.output)], [
        { name: 'blocksize', i: node.factor },
        { name: 'mode', s: 'CRD' },
      ]);
      return;
    case 'pixel_unshuffle':
      emitPixelUnshuffle(g, g.name(node.input), g.name(node.output), node.factor, g.channels(node.input));
      return;
    case 'concat':
      g.node('Concat', node.inputs.map((v) => g.name(v)), [g.name(node.output)], [{ name: 'axis', i: 1 }]);
      return;
    case 'batch_norm': {
      const p = node.params;
      const c = [p.weight.length];
      const inputs = [p.weight, p.bias, p.runningMean, p.runningVar].map((data, i) => g.floatInit(`${p.name}.${['weight', 'bias', 'running_mean', 'running_var'][i]}`, c, data));
      g.node('BatchNormalization', [g.name(node.input), ...inputs], [g.name(node.output)], [{ name: 'epsilon', f: p.eps }]);
      return;
    }
    case 'add': {
      let b = g.name(node.b);
      if (node.bUpsample !== 1) {
        const up = g.fresh(`up${node.b}`);
        emitResize(g, b, up, node.bUpsample);
        b = up;
      }
      g.node('Add', [scaled(g, g.name(node.a), node.alpha), scaled(g, b, node.beta)], [g.name(node.output)]);
      return;
    }
  }
}

/** Conv input transforms exist only in fused graphs; exported as the standalone ops they replace. */
function emitInputTransform(g: OnnxGraph, input: string, t: InputTransform, channels: number): string {
  if (t.kind === 'none') return input;
  const out = g.fresh(t.kind);
  if (t.kind === 'upsample_nearest') emitResize(g, input, out, t.factor);
  else emitPixelUnshuffle(g, input, out, t.factor, channels);
  return out;
}

function emitActivation(g: OnnxGraph, input: string, output: string, a: Activation): void {
  switch (a.kind) {
    case 'none':
      g.node('Identity', [input], [output]);
      return;
    case 'relu':
      g.node('Relu', [input], [output]);
      return;
    case 'tanh':
      g.node('Tanh', [input], [output]);
      return;
    case 'leaky_relu':
      g.node('LeakyRelu', [input], [output], [{ name: 'alpha', f: a.slope }]);
      return;
    case 'prelu': {
      // One slope per channel broadcasts over [N, C, H, W] as [C, 1, 1].
      const dims = a.slopes.length === 1 ? [1] : [a.slopes.length, 1, 1];
      g.node('PRelu', [input, g.floatInit(g.fresh('prelu_slope'), dims, a.slopes)], [output]);
      return;
    }
  }
}

/** alpha·x + beta·r1 (+ gamma·r2): a fused conv's residual epilogue. */
function emitResidual(g: OnnxGraph, x: string, r: Residual, output: string): void {
  const partial = r.r2 === undefined ? output : g.fresh('residual');
  g.node('Add', [scaled(g, x, r.alpha), scaled(g, g.name(r.r1), r.beta)], [partial]);
  if (r.r2 !== undefined) g.node('Add', [partial, scaled(g, g.name(r.r2), r.gamma ?? 1)], [output]);
}

/** `x` itself when `scale` is 1, else a Mul by a scalar initializer. */
function scaled(g: OnnxGraph, x: string, scale: number): string {
  if (scale === 1) return x;
  const out = g.fresh(`${x}_x${scale}`);
  g.node('Mul', [x, g.floatInit(g.fresh('scale'), [], Float32Array.of(scale))], [out]);
  return out;
}

/** PyTorch's nearest upsampling: output pixel (y, x) reads floor(y / f), floor(x / f). */
function emitResize(g: OnnxGraph, input: string, output: string, factor: number): void {
  const scales = g.floatInit(g.fresh('resize_scales'), [4], Float32Array.of(1, 1, factor, factor));
  // The empty name skips the optional roi input.
  g.node('Resize', [input, '', scales], [output], [
    { name: 'mode', s: 'nearest' },
    { name: 'coordinate_transformation_mode', s: 'asymmetric' },
    { name: 'nearest_mode', s: 'floor' },
  ]);
}

/**
 * torch.pixel_unshuffle: out[c·f² + i·f + j] = in[c] at offset (i, j) of each f×f block.
 * SpaceToDepth orders the channels block offset first, so a Gather reorders them; unlike a
 * Reshape/Transpose, this needs no static height or width.
 */
function emitPixelUnshuffle(g: OnnxGraph, input: string, output: string, factor: number, channels: number): void {
  const s2d = g.fresh('space_to_depth');
  g.node('SpaceToDepth', [input], [s2d], [{ name: 'blocksize', i: factor }]);
  const order: number[] = [];
  for (let c = 0; c < channels; c++) for (let k = 0; k < factor * factor; k++) order.push(k * channels + c);
  g.node('Gather', [s2d, g.int64Init(g.fresh('unshuffle_order'), [order.length], order)], [output], [{ name: 'axis', i: 1 }]);
}

function attribute(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ('f' in a) w.float(2, a.f).varint(20, ATTR_FLOAT);
  else if ('i' in a) w.varint(3, a.i).varint(20, ATTR_INT);
  else if ('s' in a) w.string(4, a.s).varint(20, ATTR_STRING);
  else {
    for (const v of a.ints) w.varint(8, v);
    w.varint(20, ATTR_INTS);
  }
  return w;
}

function tensor(name: string, dims: readonly number[], dataType: number, raw: Uint8Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.varint(1, d);
  t.varint(2, dataType);
  t.string(8, name);
  t.bytes(9, raw);
  return t;
}

/** ValueInfoProto of a float tensor; string dims are symbolic (dim_param). */
function valueInfo(name: string, dims: readonly (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** ONNX raw_data is little-endian whatever the host. */
function littleEndianFloats(data: Float32Array): Uint8Array {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}
