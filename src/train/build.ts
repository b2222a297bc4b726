import type { Graph } from '../graph/ir.js';
import { parameterLayout, type LayoutOptions, type ParameterLayout } from './parameters.js';
import { buildProgram, type TrainProgram } from './reverse.js';
import { trainingGraph } from './training-graph.js';

/** A network's training program and parameter layout, from its graph: no device needed. */
export function buildTraining(graph: Graph, options: LayoutOptions): { program: TrainProgram; layout: ParameterLayout } {
  const g = trainingGraph(graph);
  const layout = parameterLayout(g, options);
  return { program: buildProgram(g, layout), layout };
}
