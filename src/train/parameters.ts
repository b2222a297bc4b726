import { WgsrError } from '../errors.js';
import type { Graph, Node } from '../graph/ir.js';

/**
 * Where every tensor a training step reads lives on the GPU, by state-dict key.
 *
 * One `weights` buffer holds them all in PyTorch's layout, the trainable ones first, in graph
 * order, [0, trainable): the optimizer runs over that range in one dispatch, and the gradient
 * and both moments are arrays of the same layout. A conv's weight and bias sit side by side
 * when both are trained, so its weight-gradient reduction writes both at once. Frozen tensors
 * follow (`--freeze` prefixes, an architecture's fixed parameters such as EDSR's MeanShift, and
 * constants the graph builds that the file does not have). BatchNorm's running statistics are
 * not parameters: they live in a `running` buffer of their own.
 */
export type ParameterRole = 'weight' | 'bias' | 'slopes';

export interface ParameterSlot {
  readonly key: string;
  readonly shape: readonly number[];
  /** Element offset in the weights buffer (and, when trainable, in the gradient and moments). */
  readonly offset: number;
  readonly count: number;
  readonly trainable: boolean;
  /** The value the graph was built with. */
  readonly initial: Float32Array;
}

export interface RunningSlot {
  readonly name: string;
  readonly channels: number;
  /** Element offsets in the running buffer. */
  readonly mean: number;
  readonly variance: number;
  readonly initialMean: Float32Array;
  readonly initialVariance: Float32Array;
}

export interface ParameterLayout {
  readonly slots: ReadonlyMap<string, ParameterSlot>;
  /** Elements of the trainable range [0, trainable). */
  readonly trainable: number;
  readonly total: number;
  readonly running: ReadonlyMap<string, RunningSlot>;
  readonly runningTotal: number;
}

interface NodeParameter {
  key: string;
  role: ParameterRole;
  value: Float32Array;
  shape: readonly number[];
}

/** The state-dict keys of a node's parameters, with the values the graph holds. */
export function nodeParameters(node: Node): NodeParameter[] {
  const out: NodeParameter[] = [];
  if (node.op === 'conv2d') {
    const w = node.weights;
    out.push({ key: `${w.name}.weight`, role: 'weight', value: w.weight, shape: w.shape });
    if (w.bias) out.push({ key: `${w.name}.bias`, role: 'bias', value: w.bias, shape: [w.bias.length] });
  }
  if (node.op === 'batch_norm') {
    const p = node.params;
    out.push({ key: `${p.name}.weight`, role: 'weight', value: p.weight, shape: [p.weight.length] });
    out.push({ key: `${p.name}.bias`, role: 'bias', value: p.bias, shape: [p.bias.length] });
  }
  const act = node.op === 'conv2d' || node.op === 'activation' ? node.activation : undefined;
  if (act?.kind === 'prelu') out.push({ key: act.key, role: 'slopes', value: act.slopes, shape: [act.slopes.length] });
  return out;
}

export interface LayoutOptions {
  /** Keys the model file has: a key the graph reads that the file lacks is a constant. */
  readonly fileKeys: ReadonlySet<string>;
  /** Key prefixes never trained. */
  readonly frozen: readonly string[];
}

export function parameterLayout(graph: Graph, options: LayoutOptions): ParameterLayout {
  const seen = new Set<string>();
  const all: (NodeParameter & { trainable: boolean })[] = [];
  for (const node of graph.nodes) {
    for (const p of nodeParameters(node)) {
      if (seen.has(p.key)) throw new WgsrError('UNSUPPORTED_MODEL', `"${p.key}" is used by more than one layer; shared parameters cannot be trained`);
      seen.add(p.key);
      const trainable = options.fileKeys.has(p.key) && !options.frozen.some((prefix) => p.key.startsWith(prefix));
      all.push({ ...p, trainable });
    }
  }
  const slots = new Map<string, ParameterSlot>();
  let offset = 0;
  const place = (p: NodeParameter & { trainable: boolean }) => {
    slots.set(p.key, { key: p.key, shape: p.shape, offset, count: p.value.length, trainable: p.trainable, initial: p.value });
    offset += p.value.length;
  };
  all.filter((p) => p.trainable).forEach(place);
  const trainable = offset;
  all.filter((p) => !p.trainable).forEach(place);
  const running = new Map<string, RunningSlot>();
  let runningTotal = 0;
  for (const node of graph.nodes) {
    if (node.op !== 'batch_norm') continue;
    const p = node.params;
    const c = p.runningMean.length;
    running.set(p.name, { name: p.name, channels: c, mean: runningTotal, variance: runningTotal + c, initialMean: p.runningMean, initialVariance: p.runningVar });
    runningTotal += 2 * c;
  }
  return { slots, trainable, total: offset, running, runningTotal };
}
