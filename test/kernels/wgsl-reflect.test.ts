import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { activation, ACTIVATION_PARAMS } from '../../src/kernels/activation.js';
import type { ActivationKind } from '../../src/kernels/activations.js';
import { concat, concatParams } from '../../src/kernels/concat.js';
import { DIHEDRAL_GROUP, DIHEDRAL_PARAMS, dihedralAccumulate, dihedralGather } from '../../src/kernels/dihedral.js';
import { chooseConvTile } from '../../src/kernels/conv2d.js';
import type { ElementType } from '../../src/gpu/buffers.js';
import { CONV2D_PARAMS, conv2dVariant, type ConvActivationKind, type ConvTransformKind } from '../../src/kernels/conv2d-wgsl.js';
import type { KernelVariant } from '../../src/kernels/program.js';
import { pixelShuffle, pixelUnshuffle, REARRANGE_PARAMS, upsampleNearest } from '../../src/kernels/rearrange.js';
import { scaledAdd, SCALED_ADD_PARAMS } from '../../src/kernels/scaled-add.js';
import type { TensorRef } from '../../src/kernels/tensor.js';
import type { UniformStruct, UniformField } from '../../src/kernels/uniforms.js';

/**
 * Static checks of every kernel variant's WGSL against what its launcher binds and packs: a
 * binding out of order or a uniform member the struct definition does not have would
 * otherwise show up as silently wrong numbers.
 */

// Launchers are pure functions: tensors in fake buffers are enough to get their variants.
const buffer = (size = 1 << 20) => ({ size, label: 'fake' }) as GPUBuffer;
const flag = buffer(16);
const elementTypes: ElementType[] = ['f32', 'f16'];
const tensorMaker = (element: ElementType) => (channels: number, height: number, width: number): TensorRef => ({
  buffer: buffer(),
  offset: 0,
  channels,
  height,
  width,
  ...(element === 'f16' ? { half: { overflow: flag } } : {}),
});

const cases: { variant: KernelVariant; params: UniformStruct<readonly UniformField[]> }[] = [];

const transforms: ConvTransformKind[] = ['nearest', 'pixel_unshuffle'];
const convActivations: ConvActivationKind[] = ['leaky', 'prelu', 'tanh'];
for (const k of [1, 3, 9])
  for (const transform of transforms)
    for (const act of convActivations)
      for (const subgroupSize of [0, 8])
        for (const element of elementTypes) {
          const tile = chooseConvTile({ coutGroups: 8, kernelSize: k, subgroupSize });
          cases.push({ variant: conv2dVariant({ k, transform, activation: act, tile, element }), params: CONV2D_PARAMS });
        }
const activations: ActivationKind[] = ['none', 'relu', 'leaky_relu', 'prelu', 'tanh'];
for (const element of elementTypes) {
  const t = tensorMaker(element);
  for (const act of activations) {
    const slopes = act === 'prelu' ? { buffer: buffer(), count: 1 } : undefined;
    const a = act === 'leaky_relu' ? { kind: act, slope: 0.2 } : { kind: act };
    cases.push({ variant: activation({ input: t(4, 3, 3), output: t(4, 3, 3), activation: a as never, slopes }).variant, params: ACTIVATION_PARAMS });
  }
  cases.push({ variant: pixelShuffle({ input: t(4, 3, 3), output: t(1, 6, 6), factor: 2 }).variant, params: REARRANGE_PARAMS });
  cases.push({ variant: pixelUnshuffle({ input: t(1, 6, 6), output: t(4, 3, 3), factor: 2 }).variant, params: REARRANGE_PARAMS });
  cases.push({ variant: upsampleNearest({ input: t(1, 3, 3), output: t(1, 6, 6), factor: 2 }).variant, params: REARRANGE_PARAMS });
  cases.push({ variant: scaledAdd({ x: t(1, 6, 6), y: t(1, 3, 3), yUpsample: 2, a: 1, b: 1, output: t(1, 6, 6) }).variant, params: SCALED_ADD_PARAMS });
  for (const n of [1, 2, 3, 6]) {
    const inputs = Array.from({ length: n }, () => t(1, 2, 2));
    cases.push({ variant: concat({ inputs, output: t(n, 2, 2) }).variant, params: concatParams(n) });
  }
  const transpose = DIHEDRAL_GROUP[4]!;
  cases.push({ variant: dihedralGather({ input: t(3, 2, 4), output: t(3, 4, 2), transform: transpose }).variant, params: DIHEDRAL_PARAMS });
  const acc = tensorMaker('f32')(3, 2, 4);
  cases.push({ variant: dihedralAccumulate({ input: t(3, 4, 2), output: acc, transform: transpose, weight: 1, accumulate: true }).variant, params: DIHEDRAL_PARAMS });
}

const ACCESS = { storage: 'read_write', 'read-only-storage': 'read' } as const;

describe('kernel WGSL matches its launcher', () => {
  it('covers every variant family', () => {
    expect(new Set(cases.map((c) => c.variant.key.split(' ')[0])).size).toBe(9);
    expect(new Set(cases.map((c) => c.variant.key)).size).toBe(cases.length);
  });

  for (const { variant, params } of cases) {
    it(variant.key, () => {
      const reflect = new WgslReflect(variant.code);
      expect(reflect.entry.compute.map((f) => f.name)).toEqual(['main']);
      const storage = [...reflect.storage].sort((a, b) => a.binding - b.binding);
      expect(storage.map((v) => [v.group, v.binding, v.access])).toEqual(variant.bindings.map((kind, i) => [0, i, ACCESS[kind]]));
      expect(reflect.uniforms.length).toBe(variant.hasUniforms ? 1 : 0);
      const u = reflect.uniforms[0]!;
      expect([u.group, u.binding]).toEqual([0, variant.bindings.length]);
      expect(u.type.name).toBe(params.name);
      // WGSL sizes the struct to its last member (rounded to its alignment); the packed
      // buffer rounds that up to 16 bytes, which a uniform binding accepts.
      expect(params.size).toBe(Math.ceil(u.size / 16) * 16);
      const members = (u.type as unknown as { members: { name: string; offset: number; size: number }[] }).members;
      expect(members.map((m) => [m.name, m.offset, m.size])).toEqual(params.members.map((m) => [m.name, m.offset, m.size]));
    });
  }
});
