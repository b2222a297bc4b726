import { WgsrError } from '../errors.js';
import type { ElementType } from '../gpu/buffers.js';
import { dispatchElements, elementEnable, elementWgsl, tensorBinding } from './element.js';
import { pixelGrid, pixelKernel } from './grid.js';
import { defineKernel, type KernelCall, type KernelVariant } from './program.js';
import type { TensorRef } from './tensor.js';
import { uniformStruct, type UniformField } from './uniforms.js';
import { checkSameShape, checkTensor, overlaps } from './validate.js';

/**
 * torch.cat(inputs, dim=1). The dense blocks never need it (their convs write channel slices of
 * one buffer); it exists for graphs that do. One binding per input, so the variant depends on
 * the number of inputs.
 */
export interface ConcatDesc {
  inputs: readonly TensorRef[];
  output: TensorRef;
  label?: string;
}

export function concatParams(n: number) {
  const fields: UniformField[] = [
    { name: 'out_offset', type: 'u32' },
    { name: 'height', type: 'u32' },
    { name: 'width', type: 'u32' },
  ];
  for (let i = 0; i < n; i++) {
    fields.push({ name: `offset${i}`, type: 'u32' });
    // Output channel where input i ends.
    fields.push({ name: `end${i}`, type: 'u32' });
  }
  return uniformStruct('ConcatParams', fields);
}

const variants = new Map<string, { variant: KernelVariant; params: ReturnType<typeof concatParams> }>();

/** A pure copy: elements move as they are stored, f32 or f16. */
function variantFor(n: number, type: ElementType) {
  const key = `concat ${n} ${type}`;
  let v = variants.get(key);
  if (v) return v;
  const params = concatParams(n);
  const inputs = Array.from({ length: n }, (_, i) => tensorBinding(`in${i}`));
  // Output channel c comes from the input whose channel range holds it.
  const branches = inputs.map((_, i) => {
    const start = i === 0 ? '0u' : `u.end${i - 1}`;
    const read = `v = in${i}[u.offset${i} + (c - ${start}) * plane + p];`;
    return i === n - 1 ? `{ ${read} }` : `if (c < u.end${i}) { ${read} }`;
  });
  v = {
    params,
    variant: defineKernel({
      key,
      directives: elementEnable(type),
      storage: [...inputs, tensorBinding('dst')],
      uniforms: params,
      body: `${elementWgsl(type)}

${pixelKernel(
  'u.width',
  'u.height',
  `let plane = u.height * u.width;
let p = y * u.width + x;
var v: elem;
${branches.join(' else ')}
dst[u.out_offset + c * plane + p] = v;`,
)}`,
    }),
  };
  variants.set(key, v);
  return v;
}

export function concat(desc: ConcatDesc, limits?: GPUSupportedLimits): KernelCall {
  const name = desc.label ? `concat "${desc.label}"` : 'concat';
  const { inputs, output } = desc;
  if (inputs.length === 0) throw new WgsrError('BAD_ARGUMENT', `${name}: no inputs`);
  checkTensor(name, 'output', output, limits);
  const distinct = new Set([...inputs.map((t) => t.buffer), output.buffer]).size;
  if (limits && distinct > limits.maxStorageBuffersPerShaderStage) {
    throw new WgsrError('BAD_ARGUMENT', `${name}: ${distinct} buffers, but the adapter binds at most ${limits.maxStorageBuffersPerShaderStage} storage buffers; concatenate in steps`);
  }
  const values: Record<string, number> = { out_offset: output.offset, height: output.height, width: output.width };
  let end = 0;
  inputs.forEach((t, i) => {
    const role = `input ${i}`;
    checkTensor(name, role, t, limits);
    checkSameShape(name, `${role} (spatially)`, { ...t, channels: 1 }, 'output', { ...output, channels: 1 });
    if (overlaps(t, output)) throw new WgsrError('BAD_ARGUMENT', `${name}: ${role} overlaps the output`);
    end += t.channels;
    values[`offset${i}`] = t.offset;
    values[`end${i}`] = end;
  });
  if (end !== output.channels) throw new WgsrError('BAD_ARGUMENT', `${name}: inputs have ${end} channels in all, the output ${output.channels}`);
  const { variant, params } = variantFor(inputs.length, dispatchElements(name, [...inputs, output]).type);
  return {
    variant,
    storage: [...inputs.map((t) => t.buffer), output.buffer],
    uniforms: params.pack(values as never),
    workgroups: pixelGrid(output),
    label: desc.label,
  };
}
