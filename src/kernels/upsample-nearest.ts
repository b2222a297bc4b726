import { WgsrError } from '../errors.js';
import { dispatchElements, elementEnable, elementWgsl, variantPerElement } from './element.js';
import { PIXEL_ENTRY, pixelGrid } from './grid.js';
import type { KernelCall, KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkSameShape, checkTensor, overlaps } from './validate.js';

/** F.interpolate(x, scale_factor=f, mode='nearest') for an integer f: out(y, x) = in(y / f, x / f). */
export interface UpsampleNearestDesc {
  input: TensorRef;
  /** [C, H·f, W·f]. */
  output: TensorRef;
  factor: number;
  label?: string;
}

export const UPSAMPLE_PARAMS = uniformStruct('UpsampleParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'in_h', type: 'u32' },
  { name: 'in_w', type: 'u32' },
  { name: 'factor', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'out_h', type: 'u32' },
  { name: 'out_w', type: 'u32' },
] as const);

/** A pure copy: elements move as they are stored, f32 or f16. */
const variantFor = variantPerElement((type): KernelVariant => ({
  key: `upsample_nearest ${type}`,
  bindings: ['storage', 'storage'],
  hasUniforms: true,
  code: /* wgsl */ `${elementEnable(type)}${UPSAMPLE_PARAMS.wgsl()}
${elementWgsl(type)}
@group(0) @binding(0) var<storage, read_write> src: array<elem>;
@group(0) @binding(1) var<storage, read_write> dst: array<elem>;
@group(0) @binding(2) var<uniform> u: UpsampleParams;

${PIXEL_ENTRY} {
  let x = gid.x;
  let y = gid.y;
  let c = gid.z;
  if (x >= u.out_w || y >= u.out_h) { return; }
  let at = u.in_offset + (c * u.in_h + y / u.factor) * u.in_w + x / u.factor;
  dst[u.out_offset + (c * u.out_h + y) * u.out_w + x] = src[at];
}
`,
}));

export function upsampleNearest(desc: UpsampleNearestDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `upsample_nearest "${desc.label}"` : 'upsample_nearest';
  const { input, output, factor: f } = desc;
  if (!Number.isInteger(f) || f < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: factor ${f} is not a positive integer`);
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  checkSameShape(name, 'output', output, `input × ${f}`, { channels: input.channels, height: input.height * f, width: input.width * f });
  if (overlaps(input, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps the input`);
  return {
    variant: variantFor(dispatchElements(name, [input, output]).type),
    storage: [input.buffer, output.buffer],
    uniforms: UPSAMPLE_PARAMS.pack({
      in_offset: input.offset,
      in_h: input.height,
      in_w: input.width,
      factor: f,
      out_offset: output.offset,
      out_h: output.height,
      out_w: output.width,
    }),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}
