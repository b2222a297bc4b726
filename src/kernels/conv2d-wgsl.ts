import { activationWgsl, type ActivationKind } from './activations.js';
import type { BindingKind, KernelVariant } from './program.js';
import { uniformStruct } from './uniforms.js';

/**
 * WGSL for the direct conv2d (stride 1, "same" zero padding, odd square kernel), generated per
 * variant: kernel size, register tile, input transform and epilogue change the code; every
 * shape, offset and factor is a uniform.
 *
 * Register tiling: one invocation computes `cv` groups of 4 output channels × `px` consecutive
 * pixels of one row, so each input value loaded feeds 4·cv FMAs per kernel tap and each
 * weight vec4 feeds px of them. The px + k − 1 input columns one row of taps touches are
 * loaded once per (input channel, kernel row) and reused across the k horizontal taps.
 * Their offsets and padding masks do not depend on the channel or row, so they are computed
 * once per invocation; that is also where the fused input transforms live (nearest upsampling
 * divides coordinates, pixel-unshuffle multiplies them and offsets by the channel's phase),
 * so the inner loop is the same for all three.
 */
export type ConvTransformKind = 'none' | 'upsample_nearest' | 'pixel_unshuffle';

export interface ConvTile {
  /** Consecutive output pixels along x per invocation. */
  readonly px: number;
  /** vec4 groups of output channels per invocation. */
  readonly cv: number;
  readonly wgX: number;
  readonly wgY: number;
}

export interface ConvVariantSpec {
  readonly k: number;
  readonly transform: ConvTransformKind;
  readonly activation: ActivationKind;
  /** Number of residual tensors added in the epilogue: 0, 1 (r1) or 2 (r1 and r2). */
  readonly residuals: 0 | 1 | 2;
  readonly tile: ConvTile;
}

export const CONV2D_PARAMS = uniformStruct('Conv2dParams', [
  { name: 'in_offset', type: 'u32' },
  { name: 'in_h', type: 'u32' },
  { name: 'in_w', type: 'u32' },
  /** Upsampling factor or unshuffle factor (1 without a transform). */
  { name: 'factor', type: 'u32' },
  /** Conv (and output) size: the input's size after the transform. */
  { name: 'height', type: 'u32' },
  { name: 'width', type: 'u32' },
  { name: 'cin', type: 'u32' },
  { name: 'cout', type: 'u32' },
  { name: 'w_stride', type: 'u32' },
  { name: 'bias_offset', type: 'u32' },
  { name: 'prelu_offset', type: 'u32' },
  { name: 'out_offset', type: 'u32' },
  { name: 'r1_offset', type: 'u32' },
  { name: 'r2_offset', type: 'u32' },
  { name: 'alpha', type: 'f32' },
  { name: 'beta', type: 'f32' },
  { name: 'gamma', type: 'f32' },
  { name: 'slope', type: 'f32' },
] as const);

/** Where a conv-space input coordinate lives in the source tensor, per transform. */
const TRANSFORM_WGSL: Record<ConvTransformKind, string> = {
  none: `
fn chan_base(c: u32) -> u32 { return u.in_offset + c * u.in_h * u.in_w; }
fn row_off(y: u32) -> u32 { return y * u.in_w; }
fn col_off(x: u32) -> u32 { return x; }`,
  // The conv reads upsample(input): conv pixel (y, x) is source pixel (y / f, x / f).
  upsample_nearest: `
fn chan_base(c: u32) -> u32 { return u.in_offset + c * u.in_h * u.in_w; }
fn row_off(y: u32) -> u32 { return (y / u.factor) * u.in_w; }
fn col_off(x: u32) -> u32 { return x / u.factor; }`,
  // The conv reads pixel_unshuffle(input): channel c·r² + i·r + j at (y, x) is source
  // channel c at (y·r + i, x·r + j), as in torch.nn.functional.pixel_unshuffle.
  pixel_unshuffle: `
fn chan_base(c: u32) -> u32 {
  let r = u.factor;
  return u.in_offset + (c / (r * r)) * u.in_h * u.in_w + ((c / r) % r) * u.in_w + c % r;
}
fn row_off(y: u32) -> u32 { return y * u.factor * u.in_w; }
fn col_off(x: u32) -> u32 { return x * u.factor; }`,
};

export function conv2dVariantKey(s: ConvVariantSpec): string {
  const t = s.tile;
  return `conv2d k${s.k} ${s.transform} ${s.activation} r${s.residuals} px${t.px} cv${t.cv} wg${t.wgX}x${t.wgY}`;
}

export function conv2dBindings(residuals: number): BindingKind[] {
  const b: BindingKind[] = ['storage', 'read-only-storage', 'storage'];
  for (let i = 0; i < residuals; i++) b.push('storage');
  return b;
}

export function conv2dVariant(s: ConvVariantSpec): KernelVariant {
  const { k, tile } = s;
  const { px, cv } = tile;
  const pad = (k - 1) / 2;
  const cols = px + k - 1;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const groups = range(cv);
  const pixels = range(px);
  const bindings = conv2dBindings(s.residuals);
  const lines: string[] = [];
  const emit = (indent: number, text: string) => lines.push(' '.repeat(indent) + text);

  // Column offsets and "inside the image" masks for the px + k − 1 columns this invocation reads.
  for (const j of range(cols)) {
    emit(2, `let xi${j} = i32(x0) + ${j - pad};`);
    emit(2, `let m${j} = xi${j} >= 0 && xi${j} < i32(u.width);`);
    emit(2, `let c${j} = col_off(u32(clamp(xi${j}, 0, i32(u.width) - 1)));`);
  }
  // Accumulators start at the bias.
  for (const i of groups) for (const p of pixels) emit(2, `var a${i}_${p} = wts[u.bias_offset + g0 + ${i}u];`);
  emit(2, `for (var c = 0u; c < u.cin; c++) {`);
  emit(4, `let cb = chan_base(c);`);
  for (const i of groups) emit(4, `let wb${i} = (g0 + ${i}u) * u.w_stride + c * ${k * k}u;`);
  emit(4, `for (var ky = 0u; ky < ${k}u; ky++) {`);
  emit(6, `let iy = i32(y) + i32(ky) - ${pad};`);
  emit(6, `if (iy < 0 || iy >= i32(u.height)) { continue; }`);
  emit(6, `let rb = cb + row_off(u32(iy));`);
  for (const j of range(cols)) emit(6, `let v${j} = select(0.0, src[rb + c${j}], m${j});`);
  for (const kx of range(k)) {
    for (const i of groups) {
      emit(6, `let w${i}_${kx} = wts[wb${i} + ky * ${k}u + ${kx}u];`);
      for (const p of pixels) emit(6, `a${i}_${p} = fma(w${i}_${kx}, vec4f(v${p + kx}), a${i}_${p});`);
    }
  }
  emit(4, `}`);
  emit(2, `}`);

  // Epilogue: bias is already in; activation, residuals, then one store per channel.
  const slope = s.activation === 'prelu' ? 'slope4' : 'vec4f(u.slope)';
  let value = 'v';
  if (s.residuals >= 1) value = `u.alpha * v + u.beta * res1[u.r1_offset + o]`;
  if (s.residuals === 2) value += ` + u.gamma * res2[u.r2_offset + o]`;
  for (const i of groups) {
    emit(2, `{`);
    emit(4, `let co = (g0 + ${i}u) * 4u;`);
    if (s.activation === 'prelu') emit(4, `let slope4 = wts[u.prelu_offset + g0 + ${i}u];`);
    for (const p of pixels) {
      emit(4, `if (x0 + ${p}u < u.width) {`);
      emit(6, `let act4 = ${activationWgsl(s.activation, `a${i}_${p}`, slope, 'vec4f')};`);
      emit(6, `for (var l = 0u; l < 4u && co + l < u.cout; l++) {`);
      emit(8, `let o = (co + l) * plane + y * u.width + x0 + ${p}u;`);
      emit(8, `let v = act4[l];`);
      emit(8, `dst[u.out_offset + o] = ${value};`);
      emit(6, `}`);
      emit(4, `}`);
    }
    emit(2, `}`);
  }

  const residualDecls = range(s.residuals)
    .map((r) => `@group(0) @binding(${3 + r}) var<storage, read_write> res${r + 1}: array<f32>;`)
    .join('\n');
  const code = /* wgsl */ `${CONV2D_PARAMS.wgsl()}

@group(0) @binding(0) var<storage, read_write> src: array<f32>;
@group(0) @binding(1) var<storage, read> wts: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
${residualDecls}
@group(0) @binding(${bindings.length}) var<uniform> u: Conv2dParams;
${TRANSFORM_WGSL[s.transform]}

@compute @workgroup_size(${tile.wgX}, ${tile.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let x0 = gid.x * ${px}u;
  let y = gid.y;
  if (x0 >= u.width || y >= u.height) { return; }
  let plane = u.height * u.width;
  // From the workgroup id, so the compiler can see every weight load is uniform.
  let g0 = wid.z * ${cv}u;
${lines.join('\n')}
}
`;
  return { key: conv2dVariantKey(s), code, bindings, hasUniforms: true };
}
