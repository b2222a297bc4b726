import { createTensorBuffer, elementBytes, type ElementType } from '../gpu/buffers.js';
import { DIHEDRAL_GROUP, dihedralAccumulate, dihedralGather, transformedSize } from '../kernels/dihedral.js';
import { encodeCall, prepareCall, releaseCall, type PipelineCache, type PreparedCall } from '../kernels/program.js';
import type { TensorRef } from '../kernels/tensor.js';

/**
 * Test-time augmentation of one run, all on the GPU: the input is uploaded once into a source
 * tensor of its own; for each of the eight dihedral transforms T, a gather writes T(input)
 * into the graph's input, the graph runs (on the transposed shape for the four transforms
 * that swap the axes), and an accumulate brings its output back to the input's frame and adds
 * an eighth of it to an f32 accumulator, which is what is read back. One command encoder, as a
 * plain run; eight forward passes of work.
 */

/** What a graph run on one shape needs from the executor: its dispatches and where its input and output live. */
export interface GraphShape {
  readonly calls: readonly PreparedCall[];
  readonly input: TensorRef;
  readonly output: TensorRef;
}

/** Extra GPU bytes per input pixel a TTA run needs beside the graph's activations: the source and the accumulator. */
export function ttaBytesPerPixel(inChannels: number, outChannels: number, scale: number, element: ElementType): { total: number; largest: number } {
  const source = inChannels * elementBytes(element);
  const acc = outChannels * scale * scale * 4;
  return { total: source + acc, largest: Math.max(source, acc) };
}

/** The source and accumulator buffers, sized for `pixels` input pixels. */
export interface TtaBuffers {
  readonly source: GPUBuffer;
  readonly acc: GPUBuffer;
  readonly pixels: number;
}

export function allocateTtaBuffers(device: GPUDevice, pixels: number, inChannels: number, outChannels: number, scale: number, element: ElementType): TtaBuffers {
  return {
    source: createTensorBuffer(device, pixels * inChannels * elementBytes(element), 'tta source'),
    acc: createTensorBuffer(device, pixels * outChannels * scale * scale * 4, 'tta accumulator'),
    pixels,
  };
}

/** The prepared dispatches of a TTA run on one input size. */
export interface PreparedTta {
  /** Where the input is uploaded. */
  readonly source: TensorRef;
  /** What is read back: f32, the output's size. */
  readonly acc: TensorRef;
  readonly steps: readonly { gather: PreparedCall; graph: GraphShape; accumulate: PreparedCall }[];
}

/**
 * Prepares a TTA run on an h×w input, given the graph's prepared runs on h×w (`straight`) and
 * on w×h (`turned`, the same when h = w); both must stay prepared while the run is used.
 */
export async function prepareTta(
  pipelines: PipelineCache,
  buffers: TtaBuffers,
  height: number,
  width: number,
  half: TensorRef['half'],
  { straight, turned }: { straight: GraphShape; turned: GraphShape },
  limits: GPUSupportedLimits,
): Promise<PreparedTta> {
  const { channels: inC } = straight.input;
  const { channels: outC, height: outH, width: outW } = straight.output;
  const source: TensorRef = { buffer: buffers.source, offset: 0, channels: inC, height, width, ...(half && { half }) };
  const acc: TensorRef = { buffer: buffers.acc, offset: 0, channels: outC, height: outH, width: outW };
  const steps = await Promise.all(
    DIHEDRAL_GROUP.map(async (transform, k) => {
      const graph = transformedSize(transform, height, width).height === height ? straight : turned;
      const [gather, accumulate] = await Promise.all([
        prepareCall(pipelines, dihedralGather({ input: source, output: graph.input, transform, label: `tta gather ${k}` }, limits)),
        prepareCall(
          pipelines,
          dihedralAccumulate({ input: graph.output, output: acc, transform, weight: 1 / DIHEDRAL_GROUP.length, accumulate: k > 0, label: `tta accumulate ${k}` }, limits),
        ),
      ]);
      return { gather, graph, accumulate };
    }),
  );
  return { source, acc, steps };
}

export function encodeTta(pass: GPUComputePassEncoder, tta: PreparedTta): void {
  for (const { gather, graph, accumulate } of tta.steps) {
    encodeCall(pass, gather);
    for (const call of graph.calls) encodeCall(pass, call);
    encodeCall(pass, accumulate);
  }
}

/** Frees a prepared TTA run's own uniforms (the graph's shapes are the executor's). */
export function releaseTta(tta: PreparedTta): void {
  for (const s of tta.steps) {
    releaseCall(s.gather);
    releaseCall(s.accumulate);
  }
}
