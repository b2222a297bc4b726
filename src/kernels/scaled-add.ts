import { WgsrError } from '../errors.js';
import { dispatchElements, elementBindings, elementEnable, elementWgsl, tensorBinding, variantPerElement } from './element.js';
import { elementwiseKernel, pixelGrid } from './grid.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkElementwiseAlias, checkSameShape, checkTensor, overlaps } from './validate.js';

/**
 * out = a·x + b·upsample_nearest(y, yUpsample). SRVGGNetCompact adds the nearest-upsampled
 * input image to its output; with yUpsample = 1 (the default) it is a plain weighted sum.
 * The output may be x itself, or y itself when y is not upsampled (in place).
 */
export interface ScaledAddDesc {
  x: TensorRef;
  y: TensorRef;
  a: number;
  b: number;
  yUpsample?: number;
  output: TensorRef;
  label?: string;
}

export const SCALED_ADD_PARAMS = uniformStruct('ScaledAddParams', [
  { name: 'x_offset', type: 'u32' },
  { name: 'y_offset', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'factor', type: 'u32' },
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'y_h', type: 'u32' },
  { name: 'y_w', type: 'u32' },
  { name: 'a', type: 'f32' },
  { name: 'b', type: 'f32' },
] as const);

const variantFor = variantPerElement(
  (type): KernelVariant =>
    defineKernel({
      key: `scaled_add ${type}`,
      directives: elementEnable(type),
      storage: [tensorBinding('xs'), tensorBinding('ys'), tensorBinding('dst'), ...elementBindings(type)],
      uniforms: SCALED_ADD_PARAMS,
      body: `${elementWgsl(type, true)}

${elementwiseKernel('u.a * f32(xs[u.x_offset + i]) + u.b * f32(ys[u.y_offset + (c * u.y_h + y / u.factor) * u.y_w + x / u.factor])')}`,
    }),
);

export function scaledAdd(desc: ScaledAddDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `scaled_add "${desc.label}"` : 'scaled_add';
  const { x, y, output } = desc;
  const f = desc.yUpsample ?? 1;
  if (!Number.isInteger(f) || f < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: yUpsample ${f} is not a positive integer`);
  checkTensor(name, 'x', x, limits);
  checkTensor(name, 'y', y, limits);
  checkTensor(name, 'output', output, limits);
  checkSameShape(name, 'output', output, 'x', x);
  checkSameShape(name, `y upsampled ×${f}`, { channels: y.channels, height: y.height * f, width: y.width * f }, 'x', x);
  checkElementwiseAlias(name, 'x', x, output);
  if (f === 1) checkElementwiseAlias(name, 'y', y, output);
  else if (overlaps(y, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps y, which is read upsampled`);
  const elements = dispatchElements(name, [x, y, output]);
  return {
    variant: variantFor(elements.type),
    storage: [x.buffer, y.buffer, output.buffer, ...elements.overflow],
    uniforms: SCALED_ADD_PARAMS.pack({
      x_offset: x.offset,
      y_offset: y.offset,
      out_offset: output.offset,
      factor: f,
      height: x.height,
      width: x.width,
      y_h: y.height,
      y_w: y.width,
      a: desc.a,
      b: desc.b,
    }),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}
