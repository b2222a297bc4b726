import { WgsrError } from '../errors.js';
import { linearGrid } from './batched.js';
import { defineKernel, type KernelCall } from './program.js';
import { uniformStruct } from './uniforms.js';
import { checkBindable } from './validate.js';

/**
 * packed[e] = map[e] == NONE ? 0 : src[source of map[e]]: lays parameters out on the GPU in
 * whatever order a kernel reads them, from an index map made once on the CPU. Training keeps
 * its weights in PyTorch's layout (what the optimizer updates and what is saved) and refreshes
 * the conv kernel's packed copies from them every step with this, without a round trip through
 * the CPU and without knowing the packed layout itself (train/pack-map.ts makes the maps with
 * the conv kernel's own packing function). Map entries below `weightCount` index the weight
 * (from `srcOffset`), the others the bias (entry − weightCount, from `biasOffset`): a conv's
 * weight and bias need not be neighbours (one may be frozen), and a map serves every conv of
 * the same shape.
 */
export const PACK_NONE = 0xffffffff;

const PARAMS = uniformStruct('PackGatherParams', [
  { name: 'count', type: 'u32' },
  { name: 'row', type: 'u32' },
  { name: 'src_off', type: 'u32' },
  { name: 'w_count', type: 'u32' },
  { name: 'bias_off', type: 'u32' },
] as const);

const variant = defineKernel({
  key: 'pack_gather',
  storage: [
    { name: 'map', type: 'array<u32>', kind: 'read-only-storage' },
    { name: 'src', type: 'array<f32>', kind: 'read-only-storage' },
    { name: 'packed', type: 'array<f32>', kind: 'storage' },
  ],
  uniforms: PARAMS,
  body: `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let e = gid.x + gid.y * u.row;
  if (e >= u.count) { return; }
  let src_index = map[e];
  if (src_index == ${PACK_NONE}u) {
    packed[e] = 0.0;
    return;
  }
  packed[e] = src[select(u.bias_off + src_index - u.w_count, u.src_off + src_index, src_index < u.w_count)];
}
`,
});

export interface PackGatherDesc {
  /** `count` u32 source indices (PACK_NONE: zero). */
  map: GPUBuffer;
  count: number;
  src: GPUBuffer;
  srcOffset: number;
  /** Map entries below this are weight elements; the rest bias elements. */
  weightCount: number;
  biasOffset?: number;
  packed: GPUBuffer;
  label?: string;
}

export function packGather(desc: PackGatherDesc, limits?: GPUSupportedLimits): KernelCall {
  const { map, count, src, packed } = desc;
  const name = desc.label ? `pack "${desc.label}"` : 'pack';
  if (!Number.isInteger(count) || count < 1) throw new WgsrError('BAD_ARGUMENT', `${name}: ${count} elements`);
  if (map.size < count * 4 || packed.size < count * 4) throw new WgsrError('BAD_ARGUMENT', `${name}: the map or the packed buffer holds fewer than ${count} elements`);
  if (src === packed || map === packed) throw new WgsrError('BAD_ARGUMENT', `${name}: the packed buffer must be a buffer of its own`);
  for (const [role, b] of [['map', map], ['source', src], ['packed', packed]] as const) checkBindable(`${name}: ${role}`, b, limits);
  const grid = linearGrid(count, 64);
  return {
    variant,
    storage: [map, src, packed],
    uniforms: PARAMS.pack({ count, row: grid.rowLength, src_off: desc.srcOffset, w_count: desc.weightCount, bias_off: desc.biasOffset ?? 0 }),
    workgroups: grid.workgroups,
    label: desc.label,
  };
}
