import { WgsrError } from '../errors.js';
import { dispatchElements, elementEnable, elementWgsl, variantPerElement } from './element.js';
import { PIXEL_ENTRY, pixelGrid } from './grid.js';
import type { KernelCall, KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct } from './uniforms.js';
import { checkSameShape, checkTensor, overlaps } from './validate.js';

/** F.pixel_shuffle(x, r): [C·r², H, W] → [C, H·r, W·r], out[c, y·r + i, x·r + j] = in[c·r² + i·r + j, y, x]. */
export interface PixelShuffleDesc {
  input: TensorRef;
  output: TensorRef;
  factor: number;
  label?: string;
}

export const PIXEL_SHUFFLE_PARAMS = uniformStruct('PixelShuffleParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'in_h', type: 'u32' },
  { name: 'in_w', type: 'u32' },
  { name: 'r', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'out_h', type: 'u32' },
  { name: 'out_w', type: 'u32' },
] as const);

/** A pure copy: elements move as they are stored, f32 or f16. */
const variantFor = variantPerElement((type): KernelVariant => ({
  key: `pixel_shuffle ${type}`,
  bindings: ['storage', 'storage'],
  hasUniforms: true,
  code: /* wgsl */ `${elementEnable(type)}${PIXEL_SHUFFLE_PARAMS.wgsl()}
${elementWgsl(type)}
@group(0) @binding(0) var<storage, read_write> src: array<elem>;
@group(0) @binding(1) var<storage, read_write> dst: array<elem>;
@group(0) @binding(2) var<uniform> u: PixelShuffleParams;

${PIXEL_ENTRY} {
  let x = gid.x;
  let y = gid.y;
  let c = gid.z;
  if (x >= u.out_w || y >= u.out_h) { return; }
  let src_c = (c * u.r + y % u.r) * u.r + x % u.r;
  let at = u.in_offset + (src_c * u.in_h + y / u.r) * u.in_w + x / u.r;
  dst[u.out_offset + (c * u.out_h + y) * u.out_w + x] = src[at];
}
`,
}));

export function pixelShuffle(desc: PixelShuffleDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `pixel_shuffle "${desc.label}"` : 'pixel_shuffle';
  const { input, output, factor: r } = desc;
  if (!Number.isInteger(r) || r < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: factor ${r} is not a positive integer`);
  checkTensor(name, 'input', input, limits);
  checkTensor(name, 'output', output, limits);
  if (input.channels % (r * r) !== 0) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: ${input.channels} input channels are not a multiple of ${r}² = ${r * r}`);
  }
  checkSameShape(name, 'output', output, `the shuffled input`, { channels: input.channels / (r * r), height: input.height * r, width: input.width * r });
  if (overlaps(input, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: the output overlaps the input`);
  return {
    variant: variantFor(dispatchElements(name, [input, output]).type),
    storage: [input.buffer, output.buffer],
    uniforms: PIXEL_SHUFFLE_PARAMS.pack({ in_offset: input.offset, in_h: input.height, in_w: input.width, r, out_offset: output.offset, out_h: output.height, out_w: output.width }),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}
